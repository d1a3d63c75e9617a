# Sign-ins Identity Protection rates high risk are likely not the user: block them (Entra ID P2).
package posture.controls.high_risk_sign_ins_blocked

import data.posture.lib

metadata := {
	"id": "entra.ca.high-risk-sign-ins-blocked",
	"title": "High-risk sign-ins are blocked",
	"severity": "high",
	"frameworks": [{"framework": "cisa-scuba", "reference": "MS.AAD.2.3v1"}],
	"rationale": "A high sign-in risk (anonymous IP, impossible travel, token replay) signals an attacker holding the credentials right now.",
	"remediation": "Create a Conditional Access policy for All users and All resources with the condition Sign-in risk = High, grant Block access, exclude only the emergency-access accounts, and turn it On.",
	"required_collections": ["conditional_access_policies", "subscribed_skus"],
	"licence": "p2",
}

targets_high_sign_in_risk(p) if "high" in lib.list(p, ["conditions", "signInRiskLevels"])

matching := [p | some p in lib.ca_policies; lib.ca_broad(p); targets_high_sign_in_risk(p); lib.ca_blocks(p)]

near := [p | some p in lib.ca_policies; targets_high_sign_in_risk(p); lib.ca_blocks(p); not lib.ca_broad(p)]

result := r if {
	r := lib.licence_missing_fails("p2")
} else := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.ca_result(matching, near, "blocking high-risk sign-ins")
