package posture.controls.stale_accounts_test

import data.posture.controls.stale_accounts as accounts
import data.posture.controls.stale_guests as guests
import data.posture.testing

# 2026-01-15, more than 90 days before the fixtures' now (2026-06-01).
long_ago := {"inactive_since": 1768435200, "inactive_since_at": "2026-01-15T00:00:00Z"}

never := {"inactive_since": 1704067200, "inactive_since_at": "2024-01-01T00:00:00Z", "inactive_basis": "never signed in; created"}

members(list) := testing.accounts(list, [])

test_recently_active_members_pass if {
	accounts.result.status == "pass" with input as members([testing.member_fact("u1", {}), testing.member_fact("u2", {})])
}

test_member_unseen_for_longer_than_stale_days_fails if {
	r := accounts.result with input as members([testing.member_fact("u1", {}), testing.member_fact("u2", long_ago)])
	r.status == "fail"
	[e.id | some e in r.evidence] == ["u2"]
	r.evidence[0].detail == "last sign-in 2026-01-15T00:00:00Z"
}

test_stale_days_is_a_tenant_parameter if {
	d := object.union(members([testing.member_fact("u2", long_ago)]), {"parameters": {"stale_days": 365}})
	accounts.result.status == "pass" with input as d
}

test_member_who_never_signed_in_fails_once_old_enough if {
	r := accounts.result with input as members([testing.member_fact("u3", never)])
	r.status == "fail"
	r.evidence[0].detail == "never signed in; created 2024-01-01T00:00:00Z"
	recent := object.union(never, {"inactive_since": 1777593600, "inactive_since_at": "2026-05-01T00:00:00Z"})
	accounts.result.status == "pass" with input as members([testing.member_fact("u4", recent)])
}

test_member_without_known_activity_is_not_judged if {
	unknown := object.remove(testing.member_fact("u5", {}), ["inactive_since", "inactive_since_at", "inactive_basis"])
	accounts.result.status == "pass" with input as members([testing.member_fact("u1", {}), unknown])
}

test_emergency_access_accounts_are_not_reported if {
	list := [testing.member_fact("u1", {}), testing.member_fact(testing.emergency_accounts[0], long_ago)]
	accounts.result.status == "pass" with input as members(list)
}

test_error_when_sign_in_activity_was_not_synced if {
	unknown := object.remove(testing.member_fact("u1", {}), ["inactive_since", "inactive_since_at", "inactive_basis"])
	d := object.union(members([unknown]), {"derived": {"accounts": {"sign_in_activity_synced": false}}})
	r := accounts.result with input as d
	r.status == "error"
	contains(r.reason, "AuditLog.Read.All")
}

test_error_names_the_sync_reason_when_sign_in_activity_could_not_be_read if {
	unknown := object.remove(testing.member_fact("u1", {}), ["inactive_since", "inactive_since_at", "inactive_basis"])
	reason := "403 Authentication_RequestFromNonPremiumTenantOrB2CTenant: Entra ID P1 required"
	d := object.union(members([unknown]), {
		"derived": {"accounts": {"sign_in_activity_synced": false}},
		"collections": {"user_sign_in_activity": testing.missing(reason)},
	})
	r := accounts.result with input as d
	r.status == "error"
	contains(r.reason, "user_sign_in_activity: 403 Authentication_RequestFromNonPremiumTenantOrB2CTenant")
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

pending(since, since_at) := object.union(
	object.remove(testing.guest_fact("g-pending", {}), ["inactive_since", "inactive_since_at", "inactive_basis"]),
	{"pending_since": since, "pending_since_at": since_at},
)

test_active_guests_pass if {
	guests.result.status == "pass" with input as with_guests([testing.guest_fact("g1", {})])
}

test_guest_with_old_pending_invitation_fails if {
	r := guests.result with input as with_guests([testing.guest_fact("g1", {}), pending(1772323200, "2026-03-01T00:00:00Z")])
	r.status == "fail"
	[e.id | some e in r.evidence] == ["g-pending"]
	r.evidence[0].detail == "invitation not accepted since 2026-03-01T00:00:00Z"
}

test_recent_pending_invitation_is_fine if {
	guests.result.status == "pass" with input as with_guests([pending(1779667200, "2026-05-25T00:00:00Z")])
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
