# Users cannot read the BitLocker recovery keys of the devices they own (CIS 5.1.4.6):
# authorizationPolicy.defaultUserRolePermissions.allowedToReadBitlockerKeysForOwnedDevice is false.
package posture.controls.bitlocker_keys_restricted

import data.posture.lib

metadata := {
	"id": "entra.devices.bitlocker-keys-restricted",
	"title": "Users cannot recover BitLocker keys for their own devices",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.1.4.6"}],
	"rationale": "Whoever holds a user's password could read the recovery key of a stolen laptop and decrypt its disk; recovery should go through the help desk.",
	"remediation": "Entra admin center > Entra ID > Devices > Device settings: set 'Restrict users from recovering the BitLocker key(s) for their owned devices' to Yes.",
	"required_collections": ["authorization_policy"],
}

allowed := object.get(lib.authorization_policy, ["defaultUserRolePermissions", "allowedToReadBitlockerKeysForOwnedDevice"], null)

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("authorization_policy")
} else := lib.result("pass", "users cannot read the BitLocker keys of their own devices", []) if {
	allowed == false
} else := lib.result("fail", "users can read the BitLocker recovery keys of the devices they own", [lib.authorization_evidence(sprintf("defaultUserRolePermissions.allowedToReadBitlockerKeysForOwnedDevice is %v", [allowed]))])
