# Every user signs in with a phishing-resistant method only, enforced by a broad policy with an
# authentication strength limited to Windows Hello for Business, FIDO2 and certificate MFA.
package posture.controls.phishing_resistant_all_users

import data.posture.lib

metadata := {
	"id": "entra.ca.phishing-resistant-mfa-all-users",
	"title": "Phishing-resistant MFA is required for all users",
	"severity": "high",
	"frameworks": [{"framework": "cisa-scuba", "reference": "MS.AAD.3.1v1"}],
	"rationale": "Push, SMS and one-time codes are relayed by adversary-in-the-middle kits; only origin-bound methods stop credential phishing outright.",
	"remediation": "Roll out passkeys (FIDO2) or Windows Hello for Business, then create a Conditional Access policy for All users and All resources granting access with the 'Phishing-resistant MFA' authentication strength, excluding only the emergency-access accounts.",
	"required_collections": ["conditional_access_policies"],
}

matching := [p | some p in lib.ca_policies; lib.ca_broad(p); lib.strength_is_phishing_resistant(p)]

near := [p | some p in lib.ca_policies; lib.strength_is_phishing_resistant(p); not lib.ca_broad(p)]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.ca_result(matching, near, "phishing-resistant MFA for all users")
