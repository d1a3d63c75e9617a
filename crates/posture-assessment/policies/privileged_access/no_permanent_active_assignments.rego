# Privileged roles should be held just in time through PIM, not as permanent active assignments
# (Entra ID P2). Emergency-access accounts are the accepted exception.
package posture.controls.no_permanent_active_assignments

import data.posture.lib

metadata := {
	"id": "entra.roles.no-permanent-active-assignments",
	"title": "No permanent active assignments to privileged roles",
	"severity": "high",
	"frameworks": [{"framework": "cisa-scuba", "reference": "MS.AAD.7.4v1"}],
	"rationale": "Standing privilege means a stolen session is an admin session at any hour; time-bound activation limits the window and leaves an audit trail.",
	"remediation": "Convert permanent active assignments of privileged roles into PIM eligible assignments (or time-bound active ones); keep permanent assignments only for the emergency-access accounts.",
	"required_collections": ["subscribed_skus", "role_assignment_instances"],
	"reads_items": ["subscribed_skus", "role_assignment_instances", "role_definitions"],
	"licence": "p2",
}

templates := {d.id: t |
	some d in lib.items("role_definitions")
	t := object.get(d, "templateId", d.id)
	is_string(t)
}

template_of(definition_id) := templates[definition_id] if templates[definition_id] else := definition_id

labels := {m.principal_id: m.principal_display_name | some m in lib.role_members}

label(id) := labels[id] if labels[id] else := id

permanent := [i |
	some i in lib.items("role_assignment_instances")
	template_of(i.roleDefinitionId) in lib.privileged_roles
	i.assignmentType == "Assigned"
	object.get(i, "endDateTime", null) == null
	not i.principalId in lib.emergency_ids
]

evidence := [lib.evidence("roleAssignmentScheduleInstance", i.id, label(i.principalId), sprintf("permanent active %s assignment since %v", [lib.role_name(template_of(i.roleDefinitionId)), object.get(i, "startDateTime", "unknown")])) | some i in permanent]

result := r if {
	r := lib.licence_missing_fails("p2")
} else := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("fail", sprintf("%d permanent active assignments to privileged roles outside the emergency-access accounts", [count(permanent)]), evidence) if {
	count(permanent) > 0
} else := lib.result("pass", "privileged roles are held through eligible or time-bound assignments only", [])
