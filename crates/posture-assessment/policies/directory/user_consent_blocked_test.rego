package posture.controls.user_consent_blocked_test

import data.posture.controls.user_consent_blocked as control
import data.posture.testing

authz(grants) := testing.doc({"authorization_policy": testing.ok([{
	"id": "authorizationPolicy",
	"displayName": "Authorization Policy",
	"defaultUserRolePermissions": {
		"allowedToCreateApps": false,
		"allowedToCreateSecurityGroups": false,
		"allowedToReadOtherUsers": true,
		"permissionGrantPoliciesAssigned": grants,
	},
}])})

test_passes_without_self_consent_policies if {
	control.result.status == "pass" with input as authz(["ManagePermissionGrantsForOwnedResource.microsoft-dynamically-managed-permissions-for-team"])
}

test_fails_with_legacy_user_consent if {
	r := control.result with input as authz(["ManagePermissionGrantsForSelf.microsoft-user-default-legacy"])
	r.status == "fail"
	contains(r.reason, "microsoft-user-default-legacy")
	r.evidence[0].kind == "authorizationPolicy"
}

test_fails_with_low_impact_consent_too if {
	control.result.status == "fail" with input as authz(["ManagePermissionGrantsForSelf.microsoft-user-default-low"])
}

test_error_when_policy_synced_empty if {
	control.result.status == "error" with input as testing.doc({"authorization_policy": testing.ok([])})
}

test_error_when_policy_could_not_be_read if {
	r := control.result with input as testing.doc({"authorization_policy": testing.missing("403 Authorization_RequestDenied: Policy.Read.All not granted")})
	r.status == "error"
	contains(r.reason, "Policy.Read.All")
}
