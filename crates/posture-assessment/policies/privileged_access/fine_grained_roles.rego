# Finer-grained roles are used rather than Global Administrator: no more GA holders than holders of
# the other privileged roles.
package posture.controls.fine_grained_roles

import data.posture.lib

metadata := {
	"id": "entra.roles.fine-grained-roles",
	"title": "Finer-grained roles are used instead of Global Administrator",
	"severity": "medium",
	"frameworks": [{"framework": "cisa-scuba", "reference": "MS.AAD.7.2v1"}],
	"rationale": "Most administrative work needs one workload's role, not the whole tenant; a tenant with more Global Administrators than other admins hands out the master key by default.",
	"remediation": "Review what each Global Administrator actually administers and assign the matching role (Exchange, SharePoint, User, Application Administrator …) instead.",
	"required_collections": ["role_assignments"],
	"reads_items": [],
}

others := {m.principal_id |
	some m in lib.role_members
	m.role_template_id in lib.privileged_roles
	m.role_template_id != lib.global_admin_role
	lib.counts_as_holder(m)
	not lib.global_admin_holders[m.principal_id]
}

global_admins := count(lib.global_admin_holders)

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.eligibility_error
} else := lib.result("pass", sprintf("%d Global Administrators and %d holders of other privileged roles", [global_admins, count(others)]), []) if {
	global_admins <= count(others)
} else := lib.result("fail", sprintf("%d Global Administrators but only %d holders of other privileged roles", [global_admins, count(others)]), lib.ga_evidence)
