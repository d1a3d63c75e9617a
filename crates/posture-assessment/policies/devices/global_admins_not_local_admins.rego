# Global Administrators are not made local administrators of every device joined to Entra ID
# (CIS 5.1.4.3): azureADJoin.localAdmins.enableGlobalAdmins is false.
package posture.controls.global_admins_not_local_admins

import data.posture.lib

metadata := {
	"id": "entra.devices.no-global-admin-local-admin",
	"title": "Global Administrators are not added as local administrators on Entra join",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.1.4.3"}],
	"rationale": "Signing in to an ordinary workstation with the tenant's most powerful account exposes its credentials to whatever runs there; device administration belongs to a dedicated role or LAPS.",
	"remediation": "Entra admin center > Entra ID > Devices > Device settings: set 'Global administrator role is added as local administrator on the device during Microsoft Entra join' to No.",
	"required_collections": ["device_registration_policy"],
}

enabled := object.get(lib.device_registration_policy, ["azureADJoin", "localAdmins", "enableGlobalAdmins"], null)

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("device_registration_policy")
} else := lib.result("pass", "Global Administrators are not added as local administrators when a device joins", []) if {
	enabled == false
} else := lib.result("fail", "Global Administrators become local administrators of every device joined to Entra ID", [lib.device_registration_evidence(sprintf("azureADJoin.localAdmins.enableGlobalAdmins is %v", [enabled]))])
