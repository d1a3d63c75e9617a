# Activating Privileged Role Administrator in PIM needs someone's approval (Entra ID P2).
package posture.controls.pim_pra_activation_approval

import data.posture.lib

metadata := {
	"id": "entra.pim.pra-activation-approval",
	"title": "Privileged Role Administrator activation requires approval",
	"severity": "high",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.3.5"}],
	"rationale": "Privileged Role Administrator can assign any role, Global Administrator included; an approval step keeps one stolen eligible account from escalating alone.",
	"remediation": "Entra admin center > Identity governance > Privileged Identity Management > Microsoft Entra roles > Settings > Privileged Role Administrator > Edit: check Require approval to activate and name the approvers.",
	"required_collections": ["subscribed_skus", "role_management_policy_assignments"],
	"licence": "p2",
}

result := r if {
	r := lib.licence_missing_fails("p2")
} else := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.activation_approval_result(lib.privileged_role_admin_role)
