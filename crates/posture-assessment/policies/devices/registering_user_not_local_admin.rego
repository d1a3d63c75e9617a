# The user who joins a device does not become its local administrator (CIS 5.1.4.4):
# azureADJoin.localAdmins.registeringUsers is none or selected users.
package posture.controls.registering_user_not_local_admin

import data.posture.lib

metadata := {
	"id": "entra.devices.registering-user-not-local-admin",
	"title": "Local administrator assignment on Entra join is limited",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.1.4.4"}],
	"rationale": "Users who administer their own machines can turn off protections and install anything; local administrator rights should be the exception.",
	"remediation": "Entra admin center > Entra ID > Devices > Device settings: set 'Registering user is added as local administrator on the device during Microsoft Entra join' to Selected or None.",
	"required_collections": ["device_registration_policy"],
}

kind := lib.membership_kind(object.get(lib.device_registration_policy, ["azureADJoin", "localAdmins", "registeringUsers"], {}))

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("device_registration_policy")
} else := lib.result("pass", sprintf("registering users become local administrators: %s", [kind]), []) if {
	kind in {"selected", "none"}
} else := lib.result("fail", sprintf("registering users become local administrators of the devices they join (%s)", [kind]), [lib.device_registration_evidence(sprintf("azureADJoin.localAdmins.registeringUsers is %s", [kind]))])
