# Joining devices to Entra ID is limited to selected users or groups, or to nobody (CIS 5.1.4.1):
# deviceRegistrationPolicy.azureADJoin.allowedToJoin is not "all".
package posture.controls.device_join_restricted

import data.posture.lib

metadata := {
	"id": "entra.devices.join-restricted",
	"title": "Joining devices to Entra ID is restricted",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.1.4.1"}],
	"rationale": "A joined device gets a trusted identity in the directory; letting any user join any machine lets an attacker with one password enrol a device of their own.",
	"remediation": "Entra admin center > Entra ID > Devices > Device settings: set 'Users may join devices to Microsoft Entra' to Selected (the group that provisions devices) or None.",
	"required_collections": ["device_registration_policy"],
}

kind := lib.membership_kind(object.get(lib.device_registration_policy, ["azureADJoin", "allowedToJoin"], {}))

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("device_registration_policy")
} else := lib.result("pass", sprintf("joining devices is limited (%s)", [kind]), []) if {
	kind in {"selected", "none"}
} else := lib.result("fail", sprintf("users allowed to join devices to Entra ID: %s", [kind]), [lib.device_registration_evidence(sprintf("azureADJoin.allowedToJoin is %s", [kind]))])
