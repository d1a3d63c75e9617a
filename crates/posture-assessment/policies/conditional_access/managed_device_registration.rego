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

requires_device(p) if "compliantDevice" in lib.grant_controls(p)

requires_device(p) if "domainJoinedDevice" in lib.grant_controls(p)

applies(p) if {
	lib.ca_enabled(p)
	lib.ca_all_users(p)
	lib.ca_no_excluded_roles(p)
	lib.ca_exclusions_only_emergency(p)
}

matching := [p | some p in lib.ca_policies; applies(p); registers_security_info(p); requires_device(p)]

near := [p | some p in lib.ca_policies; registers_security_info(p); requires_device(p); not applies(p)]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.ca_result(matching, near, "requiring a managed device to register MFA")
