package posture.controls.fine_grained_roles_test

import data.posture.controls.fine_grained_roles as control
import data.posture.testing

ga(id) := testing.member(id, testing.global_admin, "active")

ua(id) := testing.member(id, testing.user_admin, "eligible")

with_members(members) := testing.doc_with({"derived": {"role_members": members}})

test_more_workload_admins_than_global_admins_passes if {
	control.result.status == "pass" with input as with_members([ga("g1"), ga("g2"), ua("u1"), ua("u2"), ua("u3")])
}

test_mostly_global_admins_fails if {
	r := control.result with input as with_members([ga("g1"), ga("g2"), ga("g3"), ua("u1")])
	r.status == "fail"
	count(r.evidence) == 3
}

test_a_global_admin_holding_another_role_is_not_counted_twice if {
	control.result.status == "fail" with input as with_members([ga("g1"), ga("g2"), ua("g1"), ua("u1")])
}

test_error_when_role_assignments_are_missing if {
	control.result.status == "error" with input as testing.doc({"role_assignments": testing.missing("403 Authorization_RequestDenied: RoleManagement.Read.Directory not granted")})
}
