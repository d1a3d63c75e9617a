# A user activating any other highly privileged role alerts a security mailbox (Entra ID P2).
package posture.controls.pim_privileged_activation_alerts

import data.posture.lib

metadata := {
	"id": "entra.pim.privileged-activation-alerts",
	"title": "Activation of other privileged roles triggers an alert",
	"severity": "low",
	"frameworks": [{"framework": "cisa-scuba", "reference": "MS.AAD.7.9v1"}],
	"rationale": "Activations of high-risk roles are worth watching for signs of compromise; SCuBA asks for it (SHOULD) knowing it can be a lot of mail in some environments.",
	"remediation": "For each privileged role other than Global Administrator: PIM > Microsoft Entra roles > Settings > role > Edit > Notifications: under Send notifications when eligible members activate this role, enter a security monitoring mailbox as an additional recipient of the Role activation alert.",
	"required_collections": ["subscribed_skus", "role_management_policy_assignments"],
	"licence": "p2",
}

roles := sort([t | some t in lib.privileged_roles; t != lib.global_admin_role])

result := r if {
	r := lib.licence_missing_fails("p2")
} else := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.alert_result(roles, ["Notification_Admin_EndUser_Assignment"], "activations")
