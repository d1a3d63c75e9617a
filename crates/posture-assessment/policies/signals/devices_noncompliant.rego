# Intune managed devices that are not compliant (noncompliant, conflict or error; a device in its
# grace period is not yet judged), or that have not checked in for `device_stale_days` (default
# 30): Intune's compliance state is only as fresh as the device's last check-in.
package posture.controls.devices_noncompliant

import data.posture.lib

metadata := {
	"id": "posture.devices.noncompliant",
	"title": "Managed devices are compliant and checking in",
	"severity": "medium",
	"frameworks": [{"framework": "posture", "reference": "posture.devices.noncompliant"}],
	"rationale": "A noncompliant device (no encryption, outdated OS, threat detected) or one that stopped checking in still holds mail and files; Conditional Access that trusts compliant devices is only as good as the compliance data behind it.",
	"remediation": "Intune admin center > Devices > Monitor > Noncompliant devices: remediate each device with its user, or retire it; for devices not checking in, confirm they are still in use and retire stale ones (device clean-up rules).",
	"required_collections": ["managed_devices"],
}

stale_days := lib.param("device_stale_days", 30)

not_compliant := {"noncompliant", "conflict", "error"}

devices := lib.items("managed_devices")

problem(d) := sprintf("compliance state %s", [d.complianceState]) if {
	d.complianceState in not_compliant
} else := sprintf("last check-in %s, more than %d days ago", [d.lastSyncDateTime, stale_days]) if {
	lib.older_than_days(d.lastSyncDateTime, stale_days)
}

offenders := [lib.evidence("managedDevice", d.id, object.get(d, "deviceName", d.id), detail) |
	some d in devices
	p := problem(d)
	detail := sprintf("%s; %s %s; user %s", [p, lib.str(d, "operatingSystem"), lib.str(d, "osVersion"), object.get(d, "userPrincipalName", "none")])
]

no_intune if {
	lib.licences_known
	input.tenant.licences.intune == false
}

result := lib.result("not_applicable", "the tenant has no Intune licence: no devices are managed", []) if {
	no_intune
	not lib.collection_ok("managed_devices")
} else := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("not_applicable", "the tenant has no Intune managed devices", []) if {
	count(devices) == 0
} else := lib.result("fail", sprintf("%d of %d managed devices are not compliant or have not checked in for %d days", [count(offenders), count(devices), stale_days]), offenders) if {
	count(offenders) > 0
} else := lib.result("pass", sprintf("all %d managed devices are compliant and checked in within %d days", [count(devices), stale_days]), [])
