package posture.controls.authenticator_context_test

import data.posture.controls.authenticator_context as control
import data.posture.testing

feature(state) := {
	"state": state,
	"includeTarget": {"targetType": "group", "id": "all_users"},
	"excludeTarget": {"targetType": "group", "id": "00000000-0000-0000-0000-000000000000"},
}

authenticator(state, app, location) := {
	"@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration",
	"id": "MicrosoftAuthenticator",
	"state": state,
	"isSoftwareOathEnabled": false,
	"featureSettings": {
		"displayAppInformationRequiredState": app,
		"displayLocationInformationRequiredState": location,
	},
}

methods_policy(configuration) := {
	"id": "authenticationMethodsPolicy",
	"authenticationMethodConfigurations": [configuration, {"id": "Sms", "state": "disabled"}],
}

phishing_resistant_policy := object.union(testing.broad_policy, {"grantControls": {"builtInControls": [], "authenticationStrength": {"id": "00000000-0000-0000-0000-000000000004", "allowedCombinations": ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"]}}})

mfa_policy := object.union(testing.broad_policy, {"grantControls": {"operator": "OR", "builtInControls": ["mfa"]}})

doc(configuration, policies) := testing.doc({
	"authentication_methods_policy": testing.ok([methods_policy(configuration)]),
	"conditional_access_policies": testing.ok(policies),
})

test_context_shown_to_all_users_passes_both_frameworks if {
	r := control.result with input as doc(authenticator("enabled", feature("enabled"), feature("enabled")), [mfa_policy])
	r.status == "pass"
	testing.status_for(r, "cisa-scuba") == "pass"
}

test_location_left_microsoft_managed_fails_both_frameworks if {
	r := control.result with input as doc(authenticator("enabled", feature("enabled"), feature("default")), [mfa_policy])
	r.status == "fail"
	testing.status_for(r, "cisa-scuba") == "fail"
	r.evidence[0].id == "MicrosoftAuthenticator"
	contains(r.reason, "geographic location is default")
}

test_context_for_a_group_only_fails if {
	partial := object.union(feature("enabled"), {"includeTarget": {"targetType": "group", "id": "pilot-group"}})
	r := control.result with input as doc(authenticator("enabled", partial, feature("enabled")), [mfa_policy])
	r.status == "fail"
	contains(r.reason, "application name is shown only to pilot-group")
}

test_context_with_an_excluded_group_fails if {
	excluding := object.union(feature("enabled"), {"excludeTarget": {"targetType": "group", "id": "legacy-phones"}})
	r := control.result with input as doc(authenticator("enabled", feature("enabled"), excluding), [mfa_policy])
	r.status == "fail"
	contains(r.reason, "legacy-phones")
}

# SCuBA MS.AAD.3.3v2 dropped v1's stopgap: enforcing phishing-resistant MFA no longer makes the
# setting not applicable, so both frameworks judge the setting alone.
test_phishing_resistant_mfa_does_not_make_either_framework_not_applicable if {
	r := control.result with input as doc(authenticator("enabled", feature("default"), feature("default")), [phishing_resistant_policy])
	r.status == "fail"
	testing.status_for(r, "cisa-scuba") == "fail"
	testing.status_for(r, "cis-m365-v7") == "fail"
}

test_authenticator_disabled_is_not_applicable if {
	r := control.result with input as doc(authenticator("disabled", feature("default"), feature("default")), [])
	r.status == "not_applicable"
	testing.status_for(r, "cisa-scuba") == "not_applicable"
}

test_unreadable_ca_policies_do_not_matter if {
	d := testing.doc({
		"authentication_methods_policy": testing.ok([methods_policy(authenticator("enabled", feature("enabled"), feature("enabled")))]),
		"conditional_access_policies": testing.missing("403 Authorization_RequestDenied: Policy.Read.All not granted"),
	})
	r := control.result with input as d
	r.status == "pass"
	testing.status_for(r, "cisa-scuba") == "pass"
}

test_unreadable_methods_policy_is_an_error if {
	d := testing.doc({"authentication_methods_policy": testing.missing("403 Authorization_RequestDenied: Policy.Read.AuthenticationMethod not granted")})
	r := control.result with input as d
	r.status == "error"
	contains(r.reason, "Policy.Read.AuthenticationMethod")
}

test_hostile_methods_policy_is_not_applicable_rather_than_a_crash if {
	d := testing.doc({"authentication_methods_policy": testing.ok(["surprise"]), "conditional_access_policies": testing.ok([])})
	control.result.status == "not_applicable" with input as d
}
