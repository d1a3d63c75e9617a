# CIS: between two and four Global Administrators, counting eligible (PIM) holders and the members
# of role-assignable groups.
package posture.controls.global_admin_count_cis

import data.posture.lib

metadata := {
	"id": "entra.roles.global-admin-count-cis",
	"title": "Between two and four Global Administrators",
	"severity": "high",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "1.1.3"}],
	"rationale": "One Global Administrator is a single point of failure; many multiply the accounts whose compromise gives away the tenant.",
	"remediation": "Keep two to four Global Administrators (emergency-access accounts included); move everyone else to narrower roles such as User, Exchange or Security Administrator.",
	"required_collections": ["role_assignments"],
	"reads_items": [],
}

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.eligibility_error
} else := lib.global_admin_count_result(2, 4)
