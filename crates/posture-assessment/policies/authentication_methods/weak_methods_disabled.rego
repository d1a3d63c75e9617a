# SMS, voice call and email one-time passcodes are disabled in the authentication methods policy
# (SCuBA MS.AAD.3.5). CIS 5.2.3.5 covers SMS and voice only; email OTP is CIS 5.2.3.7, its own control.
package posture.controls.weak_methods_disabled

import data.posture.lib

metadata := {
	"id": "entra.methods.weak-methods-disabled",
	"title": "SMS, voice and email one-time passcodes are disabled",
	"severity": "medium",
	"frameworks": [
		{"framework": "cisa-scuba", "reference": "MS.AAD.3.5v2"},
		{"framework": "cis-m365-v7", "reference": "5.2.3.5"},
	],
	"rationale": "Codes sent over the phone network or mail are intercepted by SIM swapping and mailbox compromise and are the easiest factors to phish.",
	"remediation": "Entra admin center > Protection > Authentication methods > Policies: disable SMS, Voice call and Email OTP once users have Microsoft Authenticator or passkeys.",
	"required_collections": ["authentication_methods_policy"],
}

weak := ["Sms", "Voice", "Email"]

configurations := {c.id: c | some c in lib.list(lib.singleton("authentication_methods_policy"), ["authenticationMethodConfigurations"])}

still_on := [lib.evidence("authenticationMethodConfiguration", id, id, detail(id)) | some id in weak; not disabled(id)]

telephony_on := [e | some e in still_on; e.id in {"Sms", "Voice"}]

disabled(id) if lower(configurations[id].state) == "disabled"

detail(id) := sprintf("state is %s", [configurations[id].state]) if configurations[id] else := "configuration not present in the policy"

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("authentication_methods_policy")
} else := scuba_result if {
	scuba_result.status == cis_result.status
} else := lib.with_framework(scuba_result, lib.cis_framework, cis_result)

scuba_result := lib.result("fail", sprintf("%d weak methods are not disabled: %s", [count(still_on), concat(", ", [e.id | some e in still_on])]), still_on) if {
	count(still_on) > 0
} else := lib.result("pass", "SMS, voice and email one-time passcodes are disabled", [])

cis_result := lib.result("fail", sprintf("%d telephony methods are not disabled: %s", [count(telephony_on), concat(", ", [e.id | some e in telephony_on])]), telephony_on) if {
	count(telephony_on) > 0
} else := lib.result("pass", "SMS and voice call are disabled", [])
