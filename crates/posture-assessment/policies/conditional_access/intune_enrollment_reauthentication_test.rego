package posture.controls.intune_enrollment_reauthentication_test

import data.posture.controls.intune_enrollment_reauthentication as control
import data.posture.testing

enrollment_policy := object.union(testing.broad_policy, {
	"id": "ca-enrollment",
	"displayName": "Re-authenticate for Intune enrollment",
	"conditions": {
		"users": {"excludeUsers": testing.emergency_accounts},
		"applications": {"includeApplications": ["d4ebce55-015a-49b5-a083-c84d1797ae8c"]},
	},
	"grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
	"sessionControls": {"signInFrequency": {"isEnabled": true, "frequencyInterval": "everyTime", "value": null, "type": null, "authenticationType": "primaryAndSecondaryAuthentication"}},
})

ca(policies) := testing.doc({"conditional_access_policies": testing.ok(policies)})

test_enrollment_every_time_with_mfa_passes if {
	r := control.result with input as ca([enrollment_policy])
	r.status == "pass"
	r.evidence[0].id == "ca-enrollment"
}

test_an_mfa_authentication_strength_counts if {
	p := object.union(enrollment_policy, {"grantControls": {"builtInControls": [], "authenticationStrength": {"id": "00000000-0000-0000-0000-000000000002", "requirementsSatisfied": "mfa"}}})
	control.result.status == "pass" with input as ca([p])
}

test_time_based_frequency_fails_with_the_gap if {
	p := object.union(enrollment_policy, {"sessionControls": {"signInFrequency": {"frequencyInterval": "timeBased", "value": 1, "type": "hours"}}})
	r := control.result with input as ca([p])
	r.status == "fail"
	contains(r.evidence[0].detail, "not every time")
}

test_without_mfa_fails if {
	p := object.union(enrollment_policy, {"grantControls": {"builtInControls": ["compliantDevice"]}})
	r := control.result with input as ca([p])
	r.status == "fail"
	contains(r.evidence[0].detail, "multifactor")
}

test_report_only_or_partial_users_fail if {
	control.result.status == "fail" with input as ca([object.union(enrollment_policy, {"state": "enabledForReportingButNotEnforced"})])
	control.result.status == "fail" with input as ca([object.union(enrollment_policy, {"conditions": {"users": {"includeUsers": ["alice"]}}})])
}

test_no_policy_fails_and_missing_policies_are_an_error if {
	control.result.status == "fail" with input as ca([testing.broad_policy])
	control.result.status == "error" with input as testing.doc({"conditional_access_policies": testing.missing("403 Authorization_RequestDenied: Policy.Read.All not granted")})
}
