# Exchange Online uses modern authentication (CIS 6.5.1: OAuth2ClientProfileEnabled).
package posture.controls.exchange_modern_auth_enabled

import data.posture.lib

metadata := {
	"id": "exchange.modern-auth-enabled",
	"title": "Modern authentication is enabled for Exchange Online",
	"severity": "high",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "6.5.1"}],
	"rationale": "Without modern authentication, Outlook falls back to basic authentication: passwords sent with every connection and no MFA or Conditional Access.",
	"remediation": "Microsoft 365 admin center > Settings > Org settings > Modern authentication: turn on modern authentication for Outlook 2013 and later (or Set-OrganizationConfig -OAuth2ClientProfileEnabled $true).",
	"required_collections": ["exo_organization_config"],
}

config := lib.singleton("exo_organization_config")

result := r if {
	r := lib.exo_singleton_unusable(metadata.required_collections, "exo_organization_config")
} else := lib.result("pass", "modern authentication is enabled for Exchange Online", []) if {
	config.OAuth2ClientProfileEnabled == true
} else := lib.result("fail", "modern authentication is disabled for Exchange Online", [lib.exo_evidence("organizationConfig", config, sprintf("OAuth2ClientProfileEnabled is %v", [object.get(config, "OAuth2ClientProfileEnabled", "absent")]))])
