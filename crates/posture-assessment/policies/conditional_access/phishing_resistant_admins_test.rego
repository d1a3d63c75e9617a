package posture.controls.phishing_resistant_admins_test

import data.posture.controls.phishing_resistant_admins as control
import data.posture.testing

strength(combinations) := {"id": "custom-strength", "displayName": "Strength", "allowedCombinations": combinations}

admin_policy(s) := object.union(testing.broad_policy, {
	"conditions": {"users": {"includeUsers": [], "includeRoles": testing.privileged_roles}},
	"grantControls": {"operator": "OR", "builtInControls": [], "authenticationStrength": s},
})

test_passes_with_phishing_resistant_strength_for_all_privileged_roles if {
	p := admin_policy(strength(["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"]))
	control.result.status == "pass" with input as testing.doc({"conditional_access_policies": testing.ok([p])})
}

test_passes_with_builtin_phishing_resistant_strength_id if {
	p := admin_policy({"id": "00000000-0000-0000-0000-000000000004"})
	control.result.status == "pass" with input as testing.doc({"conditional_access_policies": testing.ok([p])})
}

test_fails_when_strength_allows_authenticator_push if {
	p := admin_policy(strength(["fido2", "password,microsoftAuthenticatorPush"]))
	r := control.result with input as testing.doc({"conditional_access_policies": testing.ok([p])})
	r.status == "fail"
	count(r.evidence) == 9
	some e in r.evidence
	e.kind == "conditionalAccessPolicy"
}

test_fails_with_plain_mfa_grant if {
	p := object.union(admin_policy(null), {"grantControls": {"builtInControls": ["mfa"]}})
	control.result.status == "fail" with input as testing.doc({"conditional_access_policies": testing.ok([p])})
}

test_error_when_policies_could_not_be_read if {
	control.result.status == "error" with input as testing.doc({"conditional_access_policies": testing.missing("not synced")})
}

test_cis_exclusions_are_exceptions_to_review_where_scuba_fails_phishing_resistant_admins if {
	p := object.union(admin_policy({"id": "00000000-0000-0000-0000-000000000004"}), {"conditions": {"users": {"excludeGroups": ["tier0-legacy"]}}})
	r := control.result with input as testing.doc({"conditional_access_policies": testing.ok([p])})
	r.status == "fail"
	cis := testing.framework_result(r, "cis-m365-v7")
	cis.status == "warning"
	"tier0-legacy" in {e.id | some e in cis.evidence}
}
