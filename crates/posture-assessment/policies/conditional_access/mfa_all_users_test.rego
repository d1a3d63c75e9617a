package posture.controls.mfa_all_users_test

import data.posture.controls.mfa_all_users as control
import data.posture.testing

mfa_policy := object.union(testing.broad_policy, {"grantControls": {"operator": "OR", "builtInControls": ["mfa"]}})

test_passes_with_broad_enabled_mfa_policy if {
	control.result.status == "pass" with input as testing.doc({"conditional_access_policies": testing.ok([mfa_policy])})
}

test_passes_with_mfa_authentication_strength if {
	p := object.union(testing.broad_policy, {"grantControls": {"builtInControls": [], "authenticationStrength": {"id": "00000000-0000-0000-0000-000000000002", "allowedCombinations": ["password,microsoftAuthenticatorPush"]}}})
	control.result.status == "pass" with input as testing.doc({"conditional_access_policies": testing.ok([p])})
}

test_report_only_policy_does_not_count if {
	p := object.union(mfa_policy, {"state": "enabledForReportingButNotEnforced"})
	r := control.result with input as testing.doc({"conditional_access_policies": testing.ok([p])})
	r.status == "fail"
	r.evidence[0].id == p.id
	contains(r.evidence[0].detail, "report")
}

test_exclusion_of_non_emergency_user_fails if {
	p := object.union(mfa_policy, {"conditions": {"users": {"excludeUsers": ["someone-else"]}}})
	r := control.result with input as testing.doc({"conditional_access_policies": testing.ok([p])})
	r.status == "fail"
	contains(r.evidence[0].detail, "someone-else")
}

test_exclusion_of_emergency_accounts_passes if {
	p := object.union(mfa_policy, {"conditions": {"users": {"excludeUsers": testing.emergency_accounts}}})
	control.result.status == "pass" with input as testing.doc({"conditional_access_policies": testing.ok([p])})
}

test_excluded_role_fails if {
	p := object.union(mfa_policy, {"conditions": {"users": {"excludeRoles": [testing.global_admin]}}})
	control.result.status == "fail" with input as testing.doc({"conditional_access_policies": testing.ok([p])})
}

test_no_policies_fails if {
	control.result.status == "fail" with input as testing.doc({"conditional_access_policies": testing.ok([])})
}

test_missing_collection_is_an_error_naming_the_permission if {
	r := control.result with input as testing.doc({"conditional_access_policies": testing.missing("403 Authorization_RequestDenied: Policy.Read.All not granted")})
	r.status == "error"
	contains(r.reason, "conditional_access_policies")
	contains(r.reason, "Policy.Read.All")
}

test_ca_applies_broadly_rejects_excluded_guests_or_external_users if {
	p := object.union(mfa_policy, {"conditions": {"users": {"excludeGuestsOrExternalUsers": {
		"guestOrExternalUserTypes": "b2bCollaborationGuest,b2bCollaborationMember",
		"externalTenants": {"membershipKind": "all"},
	}}}})
	r := control.result with input as testing.doc({"conditional_access_policies": testing.ok([p])})
	r.status == "fail"
	contains(r.evidence[0].detail, "excludes guests or external users (b2bCollaborationGuest,b2bCollaborationMember)")
	testing.status_for(r, "cis-m365-v7") == "fail"
}

test_ca_applies_broadly_rejects_excluded_applications if {
	p := object.union(mfa_policy, {"conditions": {"applications": {"excludeApplications": ["00000003-0000-0ff1-ce00-000000000000"]}}})
	r := control.result with input as testing.doc({"conditional_access_policies": testing.ok([p])})
	r.status == "fail"
	contains(r.evidence[0].detail, "excludes applications: 00000003-0000-0ff1-ce00-000000000000")
	testing.status_for(r, "cis-m365-v7") == "fail"
}

test_cis_exclusions_are_exceptions_to_review_where_scuba_fails_them if {
	p := object.union(mfa_policy, {"conditions": {"users": {"excludeUsers": ["ea-0001", "contractor-7"], "excludeGroups": ["project-x"]}}})
	r := control.result with input as testing.doc({"conditional_access_policies": testing.ok([p])})
	r.status == "fail"
	testing.status_for(r, "cisa-scuba") == "fail"
	cis := testing.framework_result(r, "cis-m365-v7")
	cis.status == "warning"
	contains(cis.reason, "documented exceptions")
	{e.id | some e in cis.evidence} == {p.id, "contractor-7", "project-x"}
}

test_cis_exclusions_of_roles_are_exceptions_to_review if {
	p := object.union(mfa_policy, {"conditions": {"users": {"excludeRoles": [testing.global_admin]}}})
	r := control.result with input as testing.doc({"conditional_access_policies": testing.ok([p])})
	r.status == "fail"
	cis := testing.framework_result(r, "cis-m365-v7")
	cis.status == "warning"
	some e in cis.evidence
	e.kind == "directoryRole"
	e.display_name == "Global Administrator"
}

test_cis_exclusions_do_not_excuse_a_report_only_policy if {
	p := object.union(mfa_policy, {"state": "enabledForReportingButNotEnforced", "conditions": {"users": {"excludeUsers": ["contractor-7"]}}})
	r := control.result with input as testing.doc({"conditional_access_policies": testing.ok([p])})
	r.status == "fail"
	not r.by_framework
}
