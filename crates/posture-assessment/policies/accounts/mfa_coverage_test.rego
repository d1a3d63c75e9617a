package posture.controls.mfa_coverage_test

import data.posture.controls.mfa_coverage as control
import data.posture.testing

capable(n) := [testing.member_fact(sprintf("u%d", [i]), {}) | some i in numbers.range(1, n)]

not_capable(from, to) := [testing.member_fact(sprintf("u%d", [i]), {"mfa_capable": false, "methods": []}) | some i in numbers.range(from, to)]

with_members(members) := testing.accounts(members, [])

test_passes_when_every_enabled_member_is_capable if {
	control.result.status == "pass" with input as with_members(capable(10))
}

test_warning_above_threshold_lists_the_incapable_user if {
	r := control.result with input as with_members(array.concat(capable(39), not_capable(40, 40)))
	r.status == "warning"
	[e.id | some e in r.evidence] == ["u40"]
	r.evidence[0].detail == "not MFA capable (no method registered)"
	contains(r.reason, "39 of 40")
}

test_fails_below_threshold if {
	r := control.result with input as with_members(array.concat(capable(8), not_capable(9, 10)))
	r.status == "fail"
	count(r.evidence) == 2
}

test_registered_but_disallowed_methods_are_named if {
	sms_only := testing.member_fact("u9", {"mfa_capable": false, "methods": ["mobilePhone"]})
	r := control.result with input as with_members([sms_only])
	r.evidence[0].detail == "not MFA capable (methods registered: mobilePhone)"
}

test_user_without_registration_row_counts_as_not_capable if {
	r := control.result with input as with_members(array.concat(capable(2), [testing.member_fact("u3", {"mfa_capable": null})]))
	r.status == "fail"
	r.evidence[0].detail == "no registration details for this user"
}

test_threshold_is_a_tenant_parameter if {
	d := object.union(with_members(array.concat(capable(8), not_capable(9, 10))), {"parameters": {"mfa_coverage_threshold": 0.8}})
	control.result.status == "warning" with input as d
}

test_not_applicable_without_enabled_members if {
	control.result.status == "not_applicable" with input as with_members([])
}

test_error_without_the_registration_report if {
	r := control.result with input as testing.doc({"user_registration_details": testing.missing("403 Authentication_RequestFromNonPremiumTenantOrB2CTenant: Entra ID P1 or P2 required")})
	r.status == "error"
	contains(r.reason, "user_registration_details")
	contains(r.reason, "P1")
}

test_cis_5_2_3_4_fails_when_any_member_is_not_mfa_capable if {
	r := control.result with input as with_members(array.concat(capable(39), not_capable(40, 40)))
	r.status == "warning"
	cis := testing.framework_result(r, "cis-m365-v7")
	cis.status == "fail"
	[e.id | some e in cis.evidence] == ["u40"]
}
