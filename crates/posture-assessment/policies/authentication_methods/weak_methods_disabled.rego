# SMS, voice call and email one-time passcodes are disabled in the authentication methods policy.
package posture.controls.weak_methods_disabled

import data.posture.lib

metadata := {
	"id": "entra.methods.weak-methods-disabled",
	"title": "SMS, voice and email one-time passcodes are disabled",
	"severity": "medium",
	"frameworks": [
		{"framework": "cisa-scuba", "reference": "MS.AAD.3.5v2"},
		{"framework": "cis-m365-v7", "reference": "5.2.3.5"},
		{"framework": "cis-m365-v7", "reference": "5.2.3.7"},
	],
	"rationale": "Codes sent over the phone network or mail are intercepted by SIM swapping and mailbox compromise and are the easiest factors to phish.",
	"remediation": "Entra admin center > Protection > Authentication methods > Policies: disable SMS, Voice call and Email OTP once users have Microsoft Authenticator or passkeys.",
	"required_collections": ["authentication_methods_policy"],
}

weak := ["Sms", "Voice", "Email"]

configurations := {c.id: c | some c in lib.list(lib.singleton("authentication_methods_policy"), ["authenticationMethodConfigurations"])}

still_on := [lib.evidence("authenticationMethodConfiguration", id, id, detail(id)) | some id in weak; not disabled(id)]

disabled(id) if lower(configurations[id].state) == "disabled"

detail(id) := sprintf("state is %s", [configurations[id].state]) if configurations[id] else := "configuration not present in the policy"

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("authentication_methods_policy")
} else := lib.result("fail", sprintf("%d weak methods are not disabled: %s", [count(still_on), concat(", ", [e.id | some e in still_on])]), still_on) if {
	count(still_on) > 0
} else := lib.result("pass", "SMS, voice and email one-time passcodes are disabled", [])
