package posture.controls.mfa_coverage_test

import data.posture.controls.mfa_coverage as control
import data.posture.testing

people(n) := [testing.user(sprintf("u%d", [i]), {}) | some i in numbers.range(1, n)]

capable(n) := [testing.registration(sprintf("u%d", [i]), {}) | some i in numbers.range(1, n)]

not_capable(from, to) := [testing.registration(sprintf("u%d", [i]), {"isMfaCapable": false, "isMfaRegistered": false, "methodsRegistered": []}) | some i in numbers.range(from, to)]

doc(users, registrations) := testing.doc({"users": testing.ok(users), "user_registration_details": testing.ok(registrations)})

test_passes_when_every_enabled_member_is_capable if {
	control.result.status == "pass" with input as doc(people(10), capable(10))
}

test_warning_above_threshold_lists_the_incapable_user if {
	regs := array.concat(capable(39), not_capable(40, 40))
	r := control.result with input as doc(people(40), regs)
	r.status == "warning"
	[e.id | some e in r.evidence] == ["u40"]
	contains(r.reason, "39 of 40")
}

test_fails_below_threshold if {
	regs := array.concat(capable(8), not_capable(9, 10))
	r := control.result with input as doc(people(10), regs)
	r.status == "fail"
	count(r.evidence) == 2
}

test_user_without_registration_row_counts_as_not_capable if {
	r := control.result with input as doc(people(3), capable(2))
	r.status == "fail"
	r.evidence[0].detail == "no registration details for this user"
}

test_threshold_is_a_tenant_parameter if {
	regs := array.concat(capable(8), not_capable(9, 10))
	d := object.union(doc(people(10), regs), {"parameters": {"mfa_coverage_threshold": 0.8}})
	control.result.status == "warning" with input as d
}

test_guests_and_disabled_accounts_are_not_counted if {
	users := array.concat(people(2), [
		testing.user("g1", {"userType": "Guest"}),
		testing.user("d1", {"accountEnabled": false}),
	])
	control.result.status == "pass" with input as doc(users, capable(2))
}

test_not_applicable_without_enabled_members if {
	control.result.status == "not_applicable" with input as doc([], [])
}

test_error_without_the_registration_report if {
	r := control.result with input as testing.doc({"user_registration_details": testing.missing("403 Authentication_RequestFromNonPremiumTenantOrB2CTenant: Entra ID P1 or P2 required")})
	r.status == "error"
	contains(r.reason, "user_registration_details")
}
