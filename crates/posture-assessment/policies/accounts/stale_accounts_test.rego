package posture.controls.stale_accounts_test

import data.posture.controls.stale_accounts as accounts
import data.posture.controls.stale_guests as guests
import data.posture.testing

# 2026-01-15, more than 90 days before the fixtures' now (2026-06-01).
long_ago := {"last_sign_in": 1768435200, "last_sign_in_at": "2026-01-15T00:00:00Z"}

never := {"last_sign_in": null, "last_sign_in_at": null}

members(list) := testing.accounts(list, [])

test_recently_active_members_pass if {
	accounts.result.status == "pass" with input as members([testing.member_fact("u1", {}), testing.member_fact("u2", {})])
}

test_member_unseen_for_longer_than_stale_days_fails if {
	r := accounts.result with input as members([testing.member_fact("u1", {}), testing.member_fact("u2", long_ago)])
	r.status == "fail"
	[e.id | some e in r.evidence] == ["u2"]
	contains(r.evidence[0].detail, "2026-01-15")
}

test_stale_days_is_a_tenant_parameter if {
	d := object.union(members([testing.member_fact("u2", long_ago)]), {"parameters": {"stale_days": 365}})
	accounts.result.status == "pass" with input as d
}

test_member_who_never_signed_in_fails_once_old_enough if {
	r := accounts.result with input as members([testing.member_fact("u3", never)])
	r.status == "fail"
	contains(r.evidence[0].detail, "never signed in")
	recent := object.union(never, {"created": 1777593600, "created_at": "2026-05-01T00:00:00Z"})
	accounts.result.status == "pass" with input as members([testing.member_fact("u4", recent)])
}

test_emergency_access_accounts_are_not_reported if {
	list := [testing.member_fact("u1", {}), testing.member_fact(testing.emergency_accounts[0], long_ago)]
	accounts.result.status == "pass" with input as members(list)
}

test_error_when_sign_in_activity_was_not_synced if {
	d := object.union(members([testing.member_fact("u1", {"sign_in_known": false})]), {"derived": {"accounts": {"sign_in_activity_synced": false}}})
	r := accounts.result with input as d
	r.status == "error"
	contains(r.reason, "AuditLog.Read.All")
}

test_not_applicable_without_accounts if {
	accounts.result.status == "not_applicable" with input as testing.accounts([], [])
	guests.result.status == "not_applicable" with input as testing.accounts([], [])
}

test_error_when_users_could_not_be_read if {
	missing := testing.doc({"users": testing.missing("403 Authorization_RequestDenied: User.Read.All not granted")})
	accounts.result.status == "error" with input as missing
	guests.result.status == "error" with input as missing
}

with_guests(list) := testing.accounts([], list)

test_active_guests_pass if {
	guests.result.status == "pass" with input as with_guests([testing.guest_fact("g1", {})])
}

test_guest_with_old_pending_invitation_fails if {
	g := testing.guest_fact("g2", object.union(never, {"pending_since": 1772323200, "pending_since_at": "2026-03-01T00:00:00Z"}))
	r := guests.result with input as with_guests([testing.guest_fact("g1", {}), g])
	r.status == "fail"
	[e.id | some e in r.evidence] == ["g2"]
	contains(r.evidence[0].detail, "not accepted since 2026-03-01")
}

test_recent_pending_invitation_is_fine if {
	g := testing.guest_fact("g3", object.union(never, {"pending_since": 1779667200, "pending_since_at": "2026-05-25T00:00:00Z"}))
	guests.result.status == "pass" with input as with_guests([g])
}

test_guest_unseen_for_long_fails if {
	r := guests.result with input as with_guests([testing.guest_fact("g4", long_ago)])
	r.status == "fail"
	contains(r.evidence[0].detail, "last sign-in")
}

test_guest_who_never_signed_in_fails if {
	r := guests.result with input as with_guests([testing.guest_fact("g5", never)])
	r.status == "fail"
	contains(r.evidence[0].detail, "never signed in")
}

test_members_are_not_judged_as_guests if {
	guests.result.status == "not_applicable" with input as members([testing.member_fact("u1", long_ago)])
}
