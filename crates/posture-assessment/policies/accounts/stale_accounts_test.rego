package posture.controls.stale_accounts_test

import data.posture.controls.stale_accounts as accounts
import data.posture.controls.stale_guests as guests
import data.posture.testing

with_users(users) := testing.doc({"users": testing.ok(users)})

long_ago := {"signInActivity": {
	"lastSignInDateTime": "2025-12-01T00:00:00Z",
	"lastNonInteractiveSignInDateTime": "2026-01-15T00:00:00Z",
	"lastSuccessfulSignInDateTime": null,
}}

never := {"signInActivity": {"lastSignInDateTime": null, "lastNonInteractiveSignInDateTime": null, "lastSuccessfulSignInDateTime": null}}

test_recently_active_members_pass if {
	accounts.result.status == "pass" with input as with_users([testing.user("u1", {}), testing.user("u2", {})])
}

test_member_unseen_for_longer_than_stale_days_fails if {
	r := accounts.result with input as with_users([testing.user("u1", {}), testing.user("u2", long_ago)])
	r.status == "fail"
	[e.id | some e in r.evidence] == ["u2"]
	contains(r.evidence[0].detail, "2026-01-15")
}

test_non_interactive_sign_in_keeps_an_account_fresh if {
	u := testing.user("u1", {"signInActivity": {"lastSignInDateTime": "2025-01-01T00:00:00Z", "lastNonInteractiveSignInDateTime": "2026-05-30T00:00:00Z"}})
	accounts.result.status == "pass" with input as with_users([u])
}

test_stale_days_is_a_tenant_parameter if {
	d := object.union(with_users([testing.user("u2", long_ago)]), {"parameters": {"stale_days": 365}})
	accounts.result.status == "pass" with input as d
}

test_member_who_never_signed_in_fails_once_old_enough if {
	r := accounts.result with input as with_users([testing.user("u3", never)])
	r.status == "fail"
	contains(r.evidence[0].detail, "never signed in")
	accounts.result.status == "pass" with input as with_users([testing.user("u4", object.union(never, {"createdDateTime": "2026-05-01T00:00:00Z"}))])
}

test_emergency_access_accounts_are_not_reported if {
	accounts.result.status == "pass" with input as with_users([testing.user("u1", {}), testing.user(testing.emergency_accounts[0], long_ago)])
}

test_error_when_sign_in_activity_was_not_synced if {
	u := object.remove(testing.user("u1", {}), ["signInActivity"])
	r := accounts.result with input as with_users([u])
	r.status == "error"
	contains(r.reason, "AuditLog.Read.All")
}

test_not_applicable_without_members if {
	accounts.result.status == "not_applicable" with input as with_users([])
	guests.result.status == "not_applicable" with input as with_users([])
}

test_error_when_users_could_not_be_read if {
	accounts.result.status == "error" with input as testing.doc({"users": testing.missing("403 Authorization_RequestDenied: User.Read.All not granted")})
	guests.result.status == "error" with input as testing.doc({"users": testing.missing("403 Authorization_RequestDenied: User.Read.All not granted")})
}

guest(id, extra) := testing.user(id, object.union({"userType": "Guest", "externalUserState": "Accepted", "creationType": "Invitation"}, extra))

test_active_guests_pass if {
	guests.result.status == "pass" with input as with_users([guest("g1", {})])
}

test_guest_with_old_pending_invitation_fails if {
	g := guest("g2", object.union(never, {"externalUserState": "PendingAcceptance", "externalUserStateChangeDateTime": "2026-03-01T00:00:00Z"}))
	r := guests.result with input as with_users([guest("g1", {}), g])
	r.status == "fail"
	[e.id | some e in r.evidence] == ["g2"]
	contains(r.evidence[0].detail, "not accepted")
}

test_recent_pending_invitation_is_fine if {
	g := guest("g3", object.union(never, {"externalUserState": "PendingAcceptance", "externalUserStateChangeDateTime": "2026-05-25T00:00:00Z"}))
	guests.result.status == "pass" with input as with_users([g])
}

test_guest_unseen_for_long_fails if {
	r := guests.result with input as with_users([guest("g4", long_ago)])
	r.status == "fail"
	contains(r.evidence[0].detail, "last sign-in")
}

test_members_are_not_judged_as_guests if {
	guests.result.status == "not_applicable" with input as with_users([testing.user("u1", long_ago)])
}
