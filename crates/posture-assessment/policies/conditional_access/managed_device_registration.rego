# Registering MFA methods (the "Register security information" user action) requires a managed
# device, so a phished password cannot be used to enrol an attacker's authenticator.
package posture.controls.managed_device_registration

import data.posture.lib

metadata := {
	"id": "entra.ca.managed-device-mfa-registration",
	"title": "Managed devices are required to register MFA",
	"severity": "medium",
	"frameworks": [
		{"framework": "cisa-scuba", "reference": "MS.AAD.3.8v1"},
		{"framework": "cis-m365-v7", "reference": "5.2.2.10"},
	],
	"rationale": "An attacker with a password registers their own MFA method first; tying registration to managed devices closes that door.",
	"remediation": "Create a Conditional Access policy for All users on the user action 'Register security information' that requires a compliant or hybrid joined device, excluding only the emergency-access accounts.",
	"required_collections": ["conditional_access_policies"],
}

registers_security_info(p) if "urn:user:registersecurityinfo" in lib.list(p, ["conditions", "applications", "includeUserActions"])

# ca_broad for a user action: every user, no exclusions but the emergency-access accounts.
applies(p) if {
	lib.ca_enabled(p)
	lib.ca_all_users(p)
	lib.ca_no_excluded_roles(p)
	lib.ca_no_excluded_guests(p)
	lib.ca_exclusions_only_emergency(p)
	lib.ca_all_platforms(p)
}

applies_but_exclusions(p) if {
	lib.ca_enabled(p)
	lib.ca_all_users(p)
	lib.ca_no_excluded_guests(p)
	lib.ca_all_platforms(p)
	not applies(p)
}

candidates := [p | some p in lib.ca_policies; registers_security_info(p)]

scuba := [p | some p in candidates; applies(p); lib.ca_requires_managed_device_scuba(p)]

cis := [p | some p in candidates; applies(p); lib.ca_requires_managed_device_cis(p)]

near := [p | some p in candidates; lib.ca_asks_managed_device(p); not p in scuba]

cis_near := [p | some p in candidates; lib.ca_requires_managed_device_cis(p); not p in cis]

what := "requiring a managed device to register MFA"

cis_result := lib.ca_result(cis, cis_near, what) if {
	count(cis) > 0
} else := lib.cis_exceptions_result(exempted, what) if {
	exempted := [p | some p in cis_near; applies_but_exclusions(p)]
	count(exempted) > 0
} else := lib.ca_result(cis, near, what)

scuba_result := lib.ca_result(scuba, near, what)

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := scuba_result if {
	cis_result.status == scuba_result.status
} else := lib.with_framework(scuba_result, lib.cis_framework, cis_result)
