# SCuBA: between two and eight Global Administrators, active and eligible, groups expanded.
package posture.controls.global_admin_count_scuba

import data.posture.lib

metadata := {
	"id": "entra.roles.global-admin-count-scuba",
	"title": "Between two and eight Global Administrators",
	"severity": "high",
	"frameworks": [{"framework": "cisa-scuba", "reference": "MS.AAD.7.1v1"}],
	"rationale": "At least two keep the tenant recoverable; more than eight spreads unrestricted power over too many accounts.",
	"remediation": "Keep two to eight Global Administrators (active and PIM-eligible); assign finer-grained roles to everyone else.",
	"required_collections": ["role_assignments"],
	"reads_items": [],
}

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.eligibility_error
} else := lib.global_admin_count_result(2, 8)
