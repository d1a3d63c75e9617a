# The email one-time passcode method is disabled (CIS 5.2.3.7); SCuBA MS.AAD.3.5 covers it together
# with SMS and voice in entra.methods.weak-methods-disabled.
package posture.controls.email_otp_disabled

import data.posture.lib

metadata := {
	"id": "entra.methods.email-otp-disabled",
	"title": "The email one-time passcode method is disabled",
	"severity": "low",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.2.3.7"}],
	"rationale": "A code mailed to an address proves only access to that mailbox; guests signing in with email OTP bring no authentication strength of their own.",
	"remediation": "Entra admin center > Entra ID > Authentication methods > Policies > Email OTP: turn the method off.",
	"required_collections": ["authentication_methods_policy"],
}

configuration := c if {
	some c in lib.list(lib.singleton("authentication_methods_policy"), ["authenticationMethodConfigurations"])
	c.id == "Email"
}

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("authentication_methods_policy")
} else := lib.result("pass", "email one-time passcodes are disabled", []) if {
	lower(configuration.state) == "disabled"
} else := lib.result("fail", sprintf("email one-time passcodes are not disabled (state %s)", [configuration.state]), [lib.evidence("authenticationMethodConfiguration", "Email", "Email", sprintf("state is %s", [configuration.state]))]) if {
	configuration
} else := lib.result("fail", "email one-time passcodes are not disabled (the configuration is not present in the policy)", [lib.evidence("authenticationMethodConfiguration", "Email", "Email", "configuration not present in the policy")])
