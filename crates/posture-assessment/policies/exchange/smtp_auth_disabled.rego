# SMTP AUTH client submission is turned off for the organization (CIS 6.5.4).
package posture.controls.exchange_smtp_auth_disabled

import data.posture.lib

metadata := {
	"id": "exchange.smtp-auth-disabled",
	"title": "SMTP AUTH is disabled",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "6.5.4"}],
	"rationale": "Authenticated SMTP takes a password alone: it cannot do MFA, so it is how password-spraying attackers send mail as the users they guessed.",
	"remediation": "Exchange admin center > Settings > Mail flow: select Turn off SMTP AUTH protocol for your organization (or Set-TransportConfig -SmtpClientAuthenticationDisabled $true); allow it per mailbox where a device still needs it.",
	"required_collections": ["exo_transport_config"],
}

config := lib.singleton("exo_transport_config")

result := r if {
	r := lib.exo_singleton_unusable(metadata.required_collections, "exo_transport_config")
} else := lib.result("pass", "SMTP AUTH is disabled for the organization", []) if {
	config.SmtpClientAuthenticationDisabled == true
} else := lib.result("fail", "SMTP AUTH is allowed for the organization", [lib.exo_evidence("transportConfig", config, sprintf("SmtpClientAuthenticationDisabled is %v", [object.get(config, "SmtpClientAuthenticationDisabled", "absent")]))])
