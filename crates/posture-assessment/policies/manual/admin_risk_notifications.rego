# Identity Protection's risky-user notification recipients are not readable through Graph v1.0, so
# this control is for a person to check.
package posture.controls.admin_risk_notifications

import data.posture.lib

metadata := {
	"id": "entra.risk.admin-notifications",
	"title": "Administrators are notified of high-risk users",
	"severity": "medium",
	"frameworks": [{"framework": "cisa-scuba", "reference": "MS.AAD.2.2v1"}],
	"rationale": "A blocked high-risk user still needs someone to investigate; the notification is what starts that.",
	"remediation": "Entra admin center > Protection > Identity Protection > Users at risk detected alerts: add the security team's addresses and set the alert level to High. Record the check as evidence.",
	"required_collections": [],
}

result := lib.result("not_applicable", "manual check: the risky-user alert recipients are not available in Microsoft Graph v1.0", [])
