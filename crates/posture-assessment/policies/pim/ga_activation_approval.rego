# Activating Global Administrator in PIM needs someone's approval (Entra ID P2).
package posture.controls.pim_ga_activation_approval

import data.posture.lib

metadata := {
	"id": "entra.pim.ga-activation-approval",
	"title": "Global Administrator activation requires approval",
	"severity": "high",
	"frameworks": [
		{"framework": "cisa-scuba", "reference": "MS.AAD.7.6v1"},
		{"framework": "cis-m365-v7", "reference": "5.3.4"},
	],
	"rationale": "Requiring approval to activate the role with unfettered access makes stolen credentials of an eligible user harder to use and makes an attempt visible to the approvers.",
	"remediation": "Entra admin center > Identity governance > Privileged Identity Management > Microsoft Entra roles > Settings > Global Administrator > Edit: check Require approval to activate and name the approvers.",
	"required_collections": ["subscribed_skus", "role_management_policy_assignments"],
	"licence": "p2",
}

result := r if {
	r := lib.licence_missing_fails("p2")
} else := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.activation_approval_result(lib.global_admin_role)
