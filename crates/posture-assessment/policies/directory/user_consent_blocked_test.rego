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

test_cis_fails_low_impact_consent_too if {
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

classification(name, level) := {"id": sprintf("c-%s", [name]), "permissionId": name, "permissionName": name, "classification": level}

low_consent_with(classifications) := object.union(authz(["ManagePermissionGrantsForSelf.microsoft-user-default-low"]), {"collections": {"delegated_permission_classifications": testing.ok(classifications)}})

scuba(r) := f if {
	some f in r.by_framework
	f.framework == "cisa-scuba"
}

test_user_consent_low_impact_verified_publishers_passes_scuba_when_no_risky_permission_is_low if {
	r := control.result with input as low_consent_with([classification("User.Read", "low"), classification("openid", "low")])
	r.status == "fail"
	scuba(r).status == "pass"
}

test_user_consent_low_impact_fails_scuba_when_a_risky_permission_is_classified_low if {
	r := control.result with input as low_consent_with([classification("User.Read", "low"), classification("Mail.Read", "low")])
	r.status == "fail"
	not scuba(r)
	r.evidence[0].kind == "authorizationPolicy"
}

test_user_consent_low_impact_risky_permission_classified_low_is_evidence if {
	r := control.result with input as low_consent_with([classification("Files.Read.All", "low"), classification("Mail.Read", "medium")])
	r.status == "fail"
	ids := {e.id | some e in r.evidence}
	ids == {"authorizationPolicy", "c-Files.Read.All"}
}

test_user_consent_low_impact_fails_scuba_while_classifications_are_not_synced if {
	r := control.result with input as authz(["ManagePermissionGrantsForSelf.microsoft-user-default-low"])
	r.status == "fail"
	not scuba(r)
	contains(r.reason, "SCuBA: ")
	contains(r.reason, "delegated_permission_classifications: not synced")
}

test_user_consent_legacy_fails_every_framework if {
	r := control.result with input as authz(["ManagePermissionGrantsForSelf.microsoft-user-default-legacy"])
	r.status == "fail"
	not r.by_framework
}
