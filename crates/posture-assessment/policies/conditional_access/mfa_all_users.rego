# MFA is required of every user for every application by a Conditional Access policy.
package posture.controls.mfa_all_users

import data.posture.lib

metadata := {
	"id": "entra.ca.mfa-all-users",
	"title": "MFA is required for all users",
	"severity": "critical",
	"frameworks": [
		{"framework": "cisa-scuba", "reference": "MS.AAD.3.2v2"},
		{"framework": "cis-m365-v7", "reference": "5.2.2.2"},
	],
	"rationale": "Passwords alone are phished, sprayed and reused; requiring a second factor for every sign-in stops most account takeovers.",
	"remediation": "Create a Conditional Access policy for All users and All resources that grants access only with multifactor authentication (or an MFA authentication strength), exclude only the emergency-access accounts, and turn it On (not report-only).",
	"required_collections": ["conditional_access_policies"],
}

matching := [p | some p in lib.ca_policies; lib.ca_broad(p); lib.ca_requires_mfa(p)]

near := [p | some p in lib.ca_policies; lib.ca_requires_mfa(p); not lib.ca_broad(p)]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.ca_result_by_framework(matching, near, "MFA for all users")
