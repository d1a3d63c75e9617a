# Privileged accounts must live only in Entra ID: a synced account is only as safe as the
# on-premises directory that controls it.
package posture.controls.admins_cloud_only

import data.posture.grouplib
import data.posture.lib

metadata := {
	"id": "entra.roles.admins-cloud-only",
	"title": "Privileged users are cloud-only accounts",
	"severity": "high",
	"frameworks": [
		{"framework": "cisa-scuba", "reference": "MS.AAD.7.3v1"},
		{"framework": "cis-m365-v7", "reference": "1.1.1"},
	],
	"rationale": "An attacker who owns Active Directory can reset or take over synced accounts; cloud-only admins keep an on-premises breach from becoming a cloud one.",
	"remediation": "Give each administrator a separate cloud-only account (no directory synchronisation) for privileged roles and remove the roles from synced accounts.",
	"required_collections": ["users", "role_assignments"],
	"reads_items": [],
}

synced(u) if u.onPremisesSyncEnabled == true

synced(u) if is_string(u.onPremisesImmutableId)

offenders := [lib.evidence("user", id, lib.user_label(p.user), sprintf("synced from on-premises; holds %s%s", [concat(", ", [lib.role_name(r) | some r in p.roles]), grouplib.held_through(p)])) |
	some id, p in lib.privileged_users
	is_object(p.user)
	synced(p.user)
]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.eligibility_error
} else := r if {
	r := grouplib.group_expansion_error
} else := lib.result("fail", sprintf("%d privileged users are synced from on-premises", [count(offenders)]), offenders) if {
	count(offenders) > 0
} else := lib.result("pass", sprintf("all %d privileged users are cloud-only", [count(lib.privileged_users)]), [])
