# Each user may join or register at most 20 devices (CIS 5.1.4.2; Entra's default is 50).
package posture.controls.device_quota

import data.posture.lib

metadata := {
	"id": "entra.devices.quota-limited",
	"title": "The maximum number of devices per user is limited",
	"severity": "low",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.1.4.2"}],
	"rationale": "A low device quota limits how many devices a compromised account can enrol, and keeps stale device objects from piling up.",
	"remediation": "Entra admin center > Entra ID > Devices > Device settings: set 'Maximum number of devices per user' to 20 or less.",
	"required_collections": ["device_registration_policy"],
}

limit := lib.param("max_devices_per_user", 20)

quota := object.get(lib.device_registration_policy, "userDeviceQuota", null)

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("device_registration_policy")
} else := lib.result("pass", sprintf("at most %d devices per user (limit %d)", [quota, limit]), []) if {
	is_number(quota)
	quota <= limit
} else := lib.result("fail", sprintf("users may each have %v devices; the limit is %d", [quota, limit]), [lib.device_registration_evidence(sprintf("userDeviceQuota is %v", [quota]))])
