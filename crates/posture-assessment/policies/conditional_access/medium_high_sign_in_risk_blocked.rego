# Medium and high sign-in risk is blocked outright (CIS 5.2.2.8). Entra ID P2.
package posture.controls.medium_high_sign_in_risk_blocked

import data.posture.lib

metadata := {
	"id": "entra.ca.medium-high-sign-in-risk-blocked",
	"title": "Medium and high sign-in risk is blocked",
	"severity": "high",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.2.2.8"}],
	"rationale": "An MFA prompt on a risky sign-in can still be approved by a fatigued or deceived user; blocking medium and high risk leaves the attacker nothing to approve.",
	"remediation": "Create a Conditional Access policy for All users and All resources with the condition Sign-in risk = High and Medium, grant Block access, exclude only the emergency-access accounts, and turn it On.",
	"required_collections": ["conditional_access_policies", "subscribed_skus"],
	"licence": "p2",
}

risk_levels(p) := {l | some l in lib.list(p, ["conditions", "signInRiskLevels"])}

targets_medium_and_high(p) if count({"medium", "high"} - risk_levels(p)) == 0

matching := [p | some p in lib.ca_policies; lib.ca_broad(p); targets_medium_and_high(p); lib.ca_blocks(p)]

near := [p | some p in lib.ca_policies; count(risk_levels(p) & {"medium", "high"}) > 0; lib.ca_blocks(p); not p in matching]

result := r if {
	r := lib.licence_missing_fails("p2")
} else := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.cis_ca_result(matching, near, "blocking medium and high sign-in risk")
