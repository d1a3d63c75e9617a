package posture.controls.directory_settings_test

import data.posture.controls.admin_consent_workflow as consent
import data.posture.controls.passwords_never_expire as passwords
import data.posture.testing

domain(id, days) := {"id": id, "authenticationType": "Managed", "isVerified": true, "isDefault": false, "passwordValidityPeriodInDays": days}

with_domains(list) := testing.doc({"domains": testing.ok(list)})

test_domains_with_never_expiring_passwords_pass if {
	passwords.result.status == "pass" with input as with_domains([domain("contoso.com", 2147483647), domain("contoso.onmicrosoft.com", null)])
}

test_domain_with_ninety_day_expiry_fails if {
	r := passwords.result with input as with_domains([domain("contoso.com", 2147483647), domain("fabrikam.com", 90)])
	r.status == "fail"
	[e.id | some e in r.evidence] == ["fabrikam.com"]
}

test_federated_and_unverified_domains_are_not_judged if {
	federated := object.union(domain("corp.contoso.com", 90), {"authenticationType": "Federated"})
	unverified := object.union(domain("new.contoso.com", 90), {"isVerified": false})
	passwords.result.status == "pass" with input as with_domains([federated, unverified])
}

consent_settings(value) := testing.doc({"directory_settings": testing.ok([{
	"id": "setting-1",
	"displayName": "Consent Policy Settings",
	"templateId": "dffd5d46-495d-40a9-8e21-954ff55e198a",
	"values": [
		{"name": "EnableGroupSpecificConsent", "value": "false"},
		{"name": "BlockUserConsentForRiskyApps", "value": "true"},
		{"name": "EnableAdminConsentRequests", "value": value},
	],
}])})

test_admin_consent_requests_enabled_passes if {
	consent.result.status == "pass" with input as consent_settings("true")
}

test_admin_consent_requests_disabled_fails if {
	consent.result.status == "fail" with input as consent_settings("false")
}

test_no_consent_setting_object_fails if {
	consent.result.status == "fail" with input as testing.doc({"directory_settings": testing.ok([])})
}

test_unreadable_sources_are_errors if {
	passwords.result.status == "error" with input as testing.doc({"domains": testing.missing("403 Authorization_RequestDenied: Domain.Read.All not granted")})
	consent.result.status == "error" with input as testing.doc({"directory_settings": testing.missing("403 Authorization_RequestDenied: Directory.Read.All not granted")})
}
