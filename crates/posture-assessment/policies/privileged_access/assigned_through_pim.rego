# Privileged roles are provisioned through PIM only: an active assignment made in the Microsoft
# 365 admin center or through the role assignment API bypasses PIM's settings and its audit, and
# shows in its schedule without a PIM request (createdUsing) or a start (Entra ID P2).
package posture.controls.assigned_through_pim

import data.posture.lib

metadata := {
	"id": "entra.roles.assigned-through-pim",
	"title": "Privileged roles are assigned only through PIM",
	"severity": "high",
	"frameworks": [{"framework": "cisa-scuba", "reference": "MS.AAD.7.5v1"}],
	"rationale": "Provisioning privileged users in a PAM system enforces its approval, expiry and alerting policies and records who granted what; assignments made outside it bypass all of that.",
	"remediation": "Remove privileged role assignments made outside PIM and grant them again in PIM (eligible, or time-bound active); make role changes only in PIM from now on.",
	"required_collections": ["subscribed_skus", "role_assignment_schedules"],
	"reads_items": ["subscribed_skus", "role_assignment_schedules", "role_definitions"],
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

outside_pim(s) if object.get(s, "createdUsing", null) == null

outside_pim(s) if object.get(s, ["scheduleInfo", "startDateTime"], null) == null

unmanaged := [s |
	some s in lib.items("role_assignment_schedules")
	template_of(s.roleDefinitionId) in lib.privileged_roles
	object.get(s, "assignmentType", "Assigned") == "Assigned"
	outside_pim(s)
]

evidence := [lib.evidence("unifiedRoleAssignmentSchedule", s.id, label(s.principalId), sprintf("active %s assignment made outside PIM (no PIM request or schedule start), created %v", [lib.role_name(template_of(s.roleDefinitionId)), object.get(s, "createdDateTime", "unknown")])) | some s in unmanaged]

result := r if {
	r := lib.licence_missing_fails("p2")
} else := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("fail", sprintf("%d active privileged role assignments were made outside PIM", [count(unmanaged)]), evidence) if {
	count(unmanaged) > 0
} else := lib.result("pass", "every active privileged role assignment was made through PIM", [])
