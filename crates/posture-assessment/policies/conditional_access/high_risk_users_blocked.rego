# Accounts Identity Protection rates high risk are likely compromised: block them (Entra ID P2).
package posture.controls.high_risk_users_blocked

import data.posture.lib

metadata := {
	"id": "entra.ca.high-risk-users-blocked",
	"title": "Users detected as high risk are blocked",
	"severity": "high",
	"frameworks": [{"framework": "cisa-scuba", "reference": "MS.AAD.2.1v1"}],
	"rationale": "A high user risk means leaked credentials or attacker behaviour; letting the account keep signing in gives the attacker time.",
	"remediation": "Create a Conditional Access policy for All users and All resources with the condition User risk = High, grant Block access, exclude only the emergency-access accounts, and turn it On.",
	"required_collections": ["conditional_access_policies", "subscribed_skus"],
	"licence": "p2",
}

targets_high_user_risk(p) if "high" in lib.list(p, ["conditions", "userRiskLevels"])

matching := [p | some p in lib.ca_policies; lib.ca_broad(p); targets_high_user_risk(p); lib.ca_blocks(p)]

near := [p | some p in lib.ca_policies; targets_high_user_risk(p); lib.ca_blocks(p); not lib.ca_broad(p)]

result := r if {
	r := lib.licence_missing_fails("p2")
} else := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.ca_result(matching, near, "blocking high-risk users")
