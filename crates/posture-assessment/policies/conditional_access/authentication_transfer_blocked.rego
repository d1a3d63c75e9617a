# Authentication transfer (carrying a sign-in from a computer to a phone) is blocked by a broad
# policy (the CIS 5.2.2.17 reading of the catalog): authenticationFlows.transferMethods includes
# authenticationTransfer, grant Block.
package posture.controls.authentication_transfer_blocked

import data.posture.lib

metadata := {
	"id": "entra.ca.authentication-transfer-blocked",
	"title": "Authentication transfer is blocked",
	"severity": "low",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.2.2.17"}],
	"rationale": "Authentication transfer hands a signed-in session to another device without a fresh sign-in there, which an attacker can abuse the way device code phishing is abused.",
	"remediation": "Create a Conditional Access policy for All users and All resources with the Authentication flows condition 'Authentication transfer', grant Block access, exclude only the emergency-access accounts, and turn it On.",
	"required_collections": ["conditional_access_policies"],
}

targets_transfer(p) if {
	methods := split(lib.str(p, ["conditions", "authenticationFlows", "transferMethods"]), ",")
	"authenticationTransfer" in {trim_space(m) | some m in methods}
}

matching := [p | some p in lib.ca_policies; lib.ca_broad(p); targets_transfer(p); lib.ca_blocks(p)]

near := [p | some p in lib.ca_policies; targets_transfer(p); lib.ca_blocks(p); not lib.ca_broad(p)]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.cis_ca_result(matching, near, "blocking authentication transfer")
