# The device code flow lets an attacker phish a sign-in from another device; a broad policy should
# block it (authenticationFlows.transferMethods).
package posture.controls.device_code_flow_blocked

import data.posture.lib

metadata := {
	"id": "entra.ca.device-code-flow-blocked",
	"title": "Device code flow is blocked",
	"severity": "medium",
	"frameworks": [
		{"framework": "cisa-scuba", "reference": "MS.AAD.3.9v1"},
		{"framework": "cis-m365-v7", "reference": "5.2.2.12"},
	],
	"rationale": "Device code phishing hands an attacker a fully authenticated session, MFA included; few organisations need the flow at all.",
	"remediation": "Create a Conditional Access policy for All users and All resources with the Authentication flows condition 'Device code flow', grant Block access, exclude only the emergency-access accounts, and turn it On.",
	"required_collections": ["conditional_access_policies"],
}

# transferMethods is a flags enum serialised as a comma-separated string.
targets_device_code(p) if {
	methods := split(lib.str(p, ["conditions", "authenticationFlows", "transferMethods"]), ",")
	"deviceCodeFlow" in {trim_space(m) | some m in methods}
}

matching := [p | some p in lib.ca_policies; lib.ca_broad(p); targets_device_code(p); lib.ca_blocks(p)]

near := [p | some p in lib.ca_policies; targets_device_code(p); lib.ca_blocks(p); not lib.ca_broad(p)]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.ca_result_by_framework(matching, near, "blocking the device code flow")
