# Identity Protection's user risk is acted on (CIS 5.2.2.6): a broad enabled policy for high user risk
# either blocks, or requires MFA and a password change with sign-in frequency every time (the
# benchmark's remediation). Entra ID P2.
package posture.controls.user_risk_policy

import data.posture.lib

metadata := {
	"id": "entra.ca.user-risk-policy",
	"title": "An Identity Protection user risk policy is enabled",
	"severity": "high",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.2.2.6"}],
	"rationale": "A high user risk means leaked credentials or attacker behaviour; forcing a secure password change (or blocking) ends the attacker's use of the password.",
	"remediation": "Create a Conditional Access policy for All users and All resources with the condition User risk = High, grant access requiring multifactor authentication and password change (sign-in frequency every time), exclude only the emergency-access accounts, and turn it On.",
	"required_collections": ["conditional_access_policies", "subscribed_skus"],
	"licence": "p2",
}

targets_high_user_risk(p) if "high" in lib.list(p, ["conditions", "userRiskLevels"])

remediates(p) if lib.ca_blocks(p)

remediates(p) if {
	"passwordChange" in lib.grant_controls(p)
	lib.ca_requires_mfa(p)
	upper(lib.str(p, ["grantControls", "operator"])) == "AND"
	lib.sign_in_frequency_hours(p) == 0
}

matching := [p | some p in lib.ca_policies; lib.ca_broad(p); targets_high_user_risk(p); remediates(p)]

near := [p | some p in lib.ca_policies; targets_high_user_risk(p); remediates(p); not p in matching]

result := r if {
	r := lib.licence_missing_fails("p2")
} else := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.cis_ca_result(matching, near, "a user risk policy")
