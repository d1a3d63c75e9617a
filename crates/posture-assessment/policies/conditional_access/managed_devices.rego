# Sign-ins require a managed device: compliant (Intune) or hybrid joined, either one (operator OR).
package posture.controls.managed_devices

import data.posture.lib

metadata := {
	"id": "entra.ca.managed-devices-required",
	"title": "Managed devices are required to sign in",
	"severity": "medium",
	"frameworks": [
		{"framework": "cisa-scuba", "reference": "MS.AAD.3.7v1"},
		{"framework": "cis-m365-v7", "reference": "5.2.2.9"},
	],
	"rationale": "Stolen credentials and tokens are useless from an attacker's own machine when only compliant or joined devices may sign in.",
	"remediation": "Create a Conditional Access policy for All users and All resources that grants access when the device is marked compliant OR is hybrid Microsoft Entra joined, excluding only the emergency-access accounts.",
	"required_collections": ["conditional_access_policies"],
}

requires_managed_device(p) if {
	controls := {c | some c in lib.grant_controls(p)}
	count({"compliantDevice", "domainJoinedDevice"} - controls) == 0
	upper(lib.str(p, ["grantControls", "operator"])) == "OR"
}

matching := [p | some p in lib.ca_policies; lib.ca_broad(p); requires_managed_device(p)]

# Policies that ask for a managed device but fall short: not broad, or only one of the two options
# (compliant alone locks out hybrid-joined machines and is usually platform-limited).
near := [p |
	some p in lib.ca_policies
	asks_managed_device(p)
	not p in matching
]

asks_managed_device(p) if {
	some c in lib.grant_controls(p)
	c in {"compliantDevice", "domainJoinedDevice"}
}

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.ca_result(matching, near, "requiring a managed device")
