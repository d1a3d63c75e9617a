# Legacy authentication protocols (Exchange ActiveSync, other clients) cannot satisfy MFA, so a
# broad Conditional Access policy must block them.
package posture.controls.legacy_auth_blocked

import data.posture.lib

metadata := {
	"id": "entra.ca.legacy-auth-blocked",
	"title": "Legacy authentication is blocked",
	"severity": "high",
	"frameworks": [
		{"framework": "cisa-scuba", "reference": "MS.AAD.1.1v1"},
		{"framework": "cis-m365-v7", "reference": "5.2.2.3"},
	],
	"rationale": "Legacy protocols send passwords without a second factor and are the main channel for password spraying; blocking them closes a bypass of every MFA policy.",
	"remediation": "Create a Conditional Access policy for All users and All resources with client apps 'Exchange ActiveSync clients' and 'Other clients', grant Block access, exclude only the emergency-access accounts, and turn it On.",
	"required_collections": ["conditional_access_policies"],
}

legacy_types := {"exchangeActiveSync", "other"}

targets_legacy(p) if {
	types := {t | some t in lib.list(p, ["conditions", "clientAppTypes"])}
	count(legacy_types - types) == 0
}

matching := [p | some p in lib.ca_policies; lib.ca_broad(p); targets_legacy(p); lib.ca_blocks(p)]

near := [p | some p in lib.ca_policies; targets_legacy(p); lib.ca_blocks(p); not lib.ca_broad(p)]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.ca_result_by_framework(matching, near, "blocking legacy authentication")
