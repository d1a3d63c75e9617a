package posture.controls.more_ca_test

import data.posture.controls.managed_device_registration as registration
import data.posture.controls.managed_devices as devices
import data.posture.controls.phishing_resistant_all_users as phishing
import data.posture.testing

with_policies(list) := testing.doc({"conditional_access_policies": testing.ok(list)})

unreadable := testing.doc({"conditional_access_policies": testing.missing("403 Authorization_RequestDenied: Policy.Read.All not granted")})

phishing_policy := object.union(testing.broad_policy, {"grantControls": {"operator": "OR", "builtInControls": [], "authenticationStrength": {
	"id": "00000000-0000-0000-0000-000000000004",
	"allowedCombinations": ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"],
}}})

test_phishing_resistant_strength_for_everyone_passes if {
	phishing.result.status == "pass" with input as with_policies([phishing_policy])
}

test_plain_mfa_for_everyone_is_not_phishing_resistant if {
	p := object.union(testing.broad_policy, {"grantControls": {"builtInControls": ["mfa"]}})
	phishing.result.status == "fail" with input as with_policies([p])
}

device_policy := object.union(testing.broad_policy, {"grantControls": {"operator": "OR", "builtInControls": ["compliantDevice", "domainJoinedDevice"]}})

test_compliant_or_joined_device_passes if {
	devices.result.status == "pass" with input as with_policies([device_policy])
}

test_requiring_both_device_states_with_and_is_not_the_control if {
	p := object.union(device_policy, {"grantControls": {"operator": "AND"}})
	devices.result.status == "fail" with input as with_policies([p])
}

registration_policy := object.union(testing.broad_policy, {
	"conditions": {"applications": {"includeApplications": [], "includeUserActions": ["urn:user:registersecurityinfo"]}},
	"grantControls": {"operator": "OR", "builtInControls": ["compliantDevice", "domainJoinedDevice"]},
})

test_security_info_registration_on_managed_devices_passes if {
	registration.result.status == "pass" with input as with_policies([registration_policy])
}

test_registration_policy_for_some_users_only_fails if {
	p := object.union(registration_policy, {"conditions": {"users": {"includeUsers": [], "includeGroups": ["pilot"]}}})
	r := registration.result with input as with_policies([p])
	r.status == "fail"
	contains(r.evidence[0].detail, "users do not include All")
}

test_unreadable_policies_are_errors if {
	phishing.result.status == "error" with input as unreadable
	devices.result.status == "error" with input as unreadable
	registration.result.status == "error" with input as unreadable
}

test_managed_device_compliant_or_joined_passes_every_framework if {
	r := devices.result with input as with_policies([device_policy])
	r.status == "pass"
	not r.by_framework
}

test_managed_device_or_with_mfa_does_not_require_a_managed_device if {
	p := object.union(device_policy, {"grantControls": {"builtInControls": ["compliantDevice", "domainJoinedDevice", "mfa"]}})
	r := devices.result with input as with_policies([p])
	r.status == "fail"
	testing.status_for(r, "cis-m365-v7") == "fail"
	r.evidence[0].id == p.id
}

test_managed_device_or_with_authentication_strength_does_not_require_a_managed_device if {
	p := object.union(device_policy, {"grantControls": {"authenticationStrength": {"id": "00000000-0000-0000-0000-000000000002"}}})
	r := devices.result with input as with_policies([p])
	r.status == "fail"
	testing.status_for(r, "cis-m365-v7") == "fail"
}

test_managed_device_compliant_alone_passes_cis_but_not_scuba if {
	p := object.union(device_policy, {"grantControls": {"builtInControls": ["compliantDevice"]}})
	r := devices.result with input as with_policies([p])
	r.status == "fail"
	testing.status_for(r, "cisa-scuba") == "fail"
	testing.framework_result(r, "cis-m365-v7").status == "pass"
}

test_managed_device_joined_alone_passes_no_framework if {
	p := object.union(device_policy, {"grantControls": {"builtInControls": ["domainJoinedDevice"]}})
	r := devices.result with input as with_policies([p])
	r.status == "fail"
	not r.by_framework
}

test_managed_device_cis_exclusions_are_exceptions_to_review if {
	p := object.union(device_policy, {"conditions": {"users": {"excludeGroups": ["project-x"]}}})
	r := devices.result with input as with_policies([p])
	r.status == "fail"
	cis := testing.framework_result(r, "cis-m365-v7")
	cis.status == "warning"
	some e in cis.evidence
	e.id == "project-x"
}

test_managed_device_registration_or_with_mfa_does_not_require_a_managed_device if {
	p := object.union(registration_policy, {"grantControls": {"builtInControls": ["mfa", "compliantDevice", "domainJoinedDevice"]}})
	r := registration.result with input as with_policies([p])
	r.status == "fail"
	testing.status_for(r, "cis-m365-v7") == "fail"
}

test_managed_device_registration_compliant_alone_passes_cis_but_not_scuba if {
	p := object.union(registration_policy, {"grantControls": {"builtInControls": ["compliantDevice"]}})
	r := registration.result with input as with_policies([p])
	r.status == "fail"
	testing.framework_result(r, "cis-m365-v7").status == "pass"
}

test_managed_device_registration_excluding_guests_does_not_apply_broadly if {
	p := object.union(registration_policy, {"conditions": {"users": {"excludeGuestsOrExternalUsers": {"guestOrExternalUserTypes": "internalGuest"}}}})
	r := registration.result with input as with_policies([p])
	r.status == "fail"
	testing.status_for(r, "cis-m365-v7") == "fail"
}
