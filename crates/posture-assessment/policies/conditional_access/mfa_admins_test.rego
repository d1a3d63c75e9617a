package posture.controls.mfa_admins_test

import data.posture.controls.mfa_admins as control
import data.posture.testing

admin_policy := object.union(testing.broad_policy, {
	"conditions": {"users": {"includeUsers": [], "includeRoles": testing.privileged_roles}},
	"grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
})

test_passes_when_policy_includes_every_privileged_role if {
	control.result.status == "pass" with input as testing.doc({"conditional_access_policies": testing.ok([admin_policy])})
}

test_passes_with_an_all_users_mfa_policy if {
	p := object.union(testing.broad_policy, {"grantControls": {"builtInControls": ["mfa"]}})
	control.result.status == "pass" with input as testing.doc({"conditional_access_policies": testing.ok([p])})
}

test_fails_and_names_the_roles_left_out if {
	p := object.union(admin_policy, {"conditions": {"users": {"includeRoles": [testing.global_admin]}}})
	r := control.result with input as testing.doc({"conditional_access_policies": testing.ok([p])})
	r.status == "fail"
	count(r.evidence) == 7
	not testing.global_admin in {e.id | some e in r.evidence}
}

test_fails_when_admin_policy_is_report_only if {
	p := object.union(admin_policy, {"state": "enabledForReportingButNotEnforced"})
	control.result.status == "fail" with input as testing.doc({"conditional_access_policies": testing.ok([p])})
}

test_error_when_policies_could_not_be_read if {
	control.result.status == "error" with input as testing.doc({"conditional_access_policies": testing.missing("403 Authorization_RequestDenied: Policy.Read.All not granted")})
}

test_cis_exclusions_are_exceptions_to_review_for_admin_mfa if {
	p := object.union(admin_policy, {"conditions": {"users": {"excludeUsers": ["ea-0001", "ops-admin"]}}})
	r := control.result with input as testing.doc({"conditional_access_policies": testing.ok([p])})
	r.status == "warning"
	contains(r.reason, "documented exceptions")
	{e.id | some e in r.evidence} == {p.id, "ops-admin"}
}

test_admin_mfa_excluding_a_privileged_role_fails if {
	p := object.union(admin_policy, {"conditions": {"users": {"excludeRoles": [testing.user_admin]}}})
	r := control.result with input as testing.doc({"conditional_access_policies": testing.ok([p])})
	r.status == "fail"
	testing.user_admin in {e.id | some e in r.evidence}
}

test_admin_mfa_excluding_applications_fails if {
	p := object.union(admin_policy, {"conditions": {"applications": {"excludeApplications": ["app-1"]}}})
	control.result.status == "fail" with input as testing.doc({"conditional_access_policies": testing.ok([p])})
}
