# Assigning a privileged role, eligible or active, alerts a security mailbox (Entra ID P2).
package posture.controls.pim_assignment_alerts

import data.posture.lib

metadata := {
	"id": "entra.pim.assignment-alerts",
	"title": "Eligible and active privileged role assignments trigger an alert",
	"severity": "medium",
	"frameworks": [{"framework": "cisa-scuba", "reference": "MS.AAD.7.7v1"}],
	"rationale": "A new holder of a highly privileged role is a common sign of compromise; an alert to the security monitoring team lets it be checked at once.",
	"remediation": "For each privileged role: PIM > Microsoft Entra roles > Settings > role > Edit > Notifications: under Send notifications when members are assigned as eligible and when members are assigned as active, enter the security monitoring mailbox as an additional recipient of the Role assignment alert.",
	"required_collections": ["subscribed_skus", "role_management_policy_assignments"],
	"licence": "p2",
}

rules := ["Notification_Admin_Admin_Eligibility", "Notification_Admin_Admin_Assignment"]

result := r if {
	r := lib.licence_missing_fails("p2")
} else := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.alert_result(sort([t | some t in lib.privileged_roles]), rules, "role assignments")
