# Windows LAPS is enabled for devices joined to Entra ID (CIS 5.1.4.5): localAdminPassword.isEnabled.
package posture.controls.laps_enabled

import data.posture.lib

metadata := {
	"id": "entra.devices.laps-enabled",
	"title": "Local Administrator Password Solution is enabled",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.1.4.5"}],
	"rationale": "A local administrator password shared across machines lets one compromised device open all the others; LAPS gives each device its own rotated password.",
	"remediation": "Entra admin center > Entra ID > Devices > Device settings: set 'Enable Microsoft Entra Local Administrator Password Solution (LAPS)' to Yes, then deploy a LAPS policy to the devices.",
	"required_collections": ["device_registration_policy"],
}

enabled := object.get(lib.device_registration_policy, ["localAdminPassword", "isEnabled"], null)

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("device_registration_policy")
} else := lib.result("pass", "LAPS is enabled for Entra-joined devices", []) if {
	enabled == true
} else := lib.result("fail", "LAPS is not enabled for Entra-joined devices", [lib.device_registration_evidence(sprintf("localAdminPassword.isEnabled is %v", [enabled]))])
