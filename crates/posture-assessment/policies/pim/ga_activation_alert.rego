# A user activating Global Administrator alerts a security mailbox (Entra ID P2).
package posture.controls.pim_ga_activation_alert

import data.posture.lib

metadata := {
	"id": "entra.pim.ga-activation-alert",
	"title": "Global Administrator activation triggers an alert",
	"severity": "medium",
	"frameworks": [{"framework": "cisa-scuba", "reference": "MS.AAD.7.8v1"}],
	"rationale": "Closely watching activations of the most powerful role lets the security monitoring team see a compromise attempt as it happens.",
	"remediation": "PIM > Microsoft Entra roles > Settings > Global Administrator > Edit > Notifications: under Send notifications when eligible members activate this role, enter the security monitoring mailbox as an additional recipient of the Role activation alert.",
	"required_collections": ["subscribed_skus", "role_management_policy_assignments"],
	"licence": "p2",
}

result := r if {
	r := lib.licence_missing_fails("p2")
} else := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.alert_result([lib.global_admin_role], ["Notification_Admin_EndUser_Assignment"], "Global Administrator activations")
