# Every user re-authenticates periodically: a broad enabled policy sets a sign-in frequency (the
# CIS 5.2.2.13 reading of the catalog).
package posture.controls.sign_in_frequency_all_users

import data.posture.lib

metadata := {
	"id": "entra.ca.sign-in-frequency-all-users",
	"title": "Sign-in frequency is enforced for all users",
	"severity": "low",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.2.2.13"}],
	"rationale": "Without a sign-in frequency a session token lives as long as it keeps being refreshed; a periodic re-authentication bounds how long a stolen token stays useful.",
	"remediation": "Create a Conditional Access policy for All users and All resources with the session control 'Sign-in frequency' (for example 12 hours, or every time for unmanaged devices), excluding only the emergency-access accounts, and turn it On.",
	"required_collections": ["conditional_access_policies"],
}

matching := [p | some p in lib.ca_policies; lib.ca_broad(p); lib.sign_in_frequency_enabled(p)]

near := [p | some p in lib.ca_policies; lib.sign_in_frequency_enabled(p); not lib.ca_broad(p)]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.cis_ca_result(matching, near, "a sign-in frequency for all users")
