package posture.controls.global_admin_count_test

import data.posture.controls.global_admin_count_cis as cis
import data.posture.controls.global_admin_count_scuba as scuba
import data.posture.testing

admins(n) := [testing.member(sprintf("admin-%d", [i]), testing.global_admin, "active") | some i in numbers.range(1, n)]

via(id) := object.union(testing.member(id, testing.global_admin, "active"), {"via_group": "group-ga"})

with_members(members) := testing.doc_with({"derived": {"role_members": members}})

test_three_global_admins_pass_both if {
	cis.result.status == "pass" with input as with_members(admins(3))
	scuba.result.status == "pass" with input as with_members(admins(3))
}

test_six_global_admins_fail_cis_but_pass_scuba if {
	r := cis.result with input as with_members(admins(6))
	r.status == "fail"
	count(r.evidence) == 6
	scuba.result.status == "pass" with input as with_members(admins(6))
}

test_nine_global_admins_fail_scuba if {
	scuba.result.status == "fail" with input as with_members(admins(9))
}

test_single_global_admin_fails if {
	cis.result.status == "fail" with input as with_members(admins(1))
}

test_eligible_and_active_assignments_of_one_user_count_once if {
	members := array.concat(admins(2), [testing.member("admin-1", testing.global_admin, "eligible")])
	r := cis.result with input as with_members(members)
	r.status == "pass"
	count(r.evidence) == 2
	some e in r.evidence
	e.id == "admin-1"
	contains(e.detail, "eligible")
}

test_group_members_are_counted_instead_of_the_group if {
	group := object.union(testing.member("group-ga", testing.global_admin, "active"), {"principal_type": "group"})
	members := [group, via("u-1"), via("u-2"), via("u-3"), via("u-4"), via("u-5")]
	r := cis.result with input as with_members(members)
	r.status == "fail"
	count(r.evidence) == 5
}

test_group_without_synced_members_is_a_warning if {
	group := object.union(testing.member("group-ga", testing.global_admin, "active"), {"principal_type": "group", "members_known": false})
	r := cis.result with input as with_members(array.concat(admins(2), [group]))
	r.status == "warning"
	contains(r.reason, "group-ga")
}

test_other_roles_do_not_count if {
	members := array.concat(admins(2), [testing.member("ua-1", testing.user_admin, "active")])
	r := cis.result with input as with_members(members)
	count(r.evidence) == 2
}

test_error_when_eligibility_is_unknown_on_a_p2_tenant if {
	r := cis.result with input as testing.doc({"role_eligibility_instances": testing.missing("403 Authorization_RequestDenied: RoleEligibilitySchedule.Read.Directory not granted")})
	r.status == "error"
	contains(r.reason, "RoleEligibilitySchedule.Read.Directory")
}

test_missing_eligibility_is_fine_without_p2 if {
	doc := testing.doc_with({
		"tenant": {"licences": {"p2": false}},
		"collections": {"role_eligibility_instances": testing.missing("400 AadPremiumLicenseRequired")},
		"derived": {"role_members": admins(2)},
	})
	cis.result.status == "pass" with input as doc
}

test_error_when_role_assignments_are_missing if {
	r := scuba.result with input as testing.doc({"role_assignments": testing.missing("403 Authorization_RequestDenied: RoleManagement.Read.Directory not granted")})
	r.status == "error"
	contains(r.reason, "role_assignments")
}
