# Identity Protection's sign-in risk is acted on (CIS 5.2.2.7): a broad enabled policy for medium and
# high sign-in risk requires MFA with sign-in frequency every time, or blocks. Entra ID P2.
package posture.controls.sign_in_risk_policy

import data.posture.lib

metadata := {
	"id": "entra.ca.sign-in-risk-policy",
	"title": "An Identity Protection sign-in risk policy is enabled",
	"severity": "high",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.2.2.7"}],
	"rationale": "A risky sign-in (anonymous IP, impossible travel, token replay) is likely not the user; a fresh MFA challenge or a block stops an attacker holding only the password.",
	"remediation": "Create a Conditional Access policy for All users and All resources with the condition Sign-in risk = High and Medium, grant access requiring multifactor authentication with sign-in frequency every time (or Block access), exclude only the emergency-access accounts, and turn it On.",
	"required_collections": ["conditional_access_policies", "subscribed_skus"],
	"licence": "p2",
}

risk_levels(p) := {l | some l in lib.list(p, ["conditions", "signInRiskLevels"])}

targets_medium_and_high(p) if count({"medium", "high"} - risk_levels(p)) == 0

targets_sign_in_risk(p) if count(risk_levels(p) & {"medium", "high"}) > 0

remediates(p) if lib.ca_blocks(p)

remediates(p) if {
	lib.ca_requires_mfa(p)
	lib.sign_in_frequency_hours(p) == 0
}

matching := [p | some p in lib.ca_policies; lib.ca_broad(p); targets_medium_and_high(p); remediates(p)]

near := [p | some p in lib.ca_policies; targets_sign_in_risk(p); remediates(p); not p in matching]

result := r if {
	r := lib.licence_missing_fails("p2")
} else := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.cis_ca_result(matching, near, "a sign-in risk policy for medium and high risk")
