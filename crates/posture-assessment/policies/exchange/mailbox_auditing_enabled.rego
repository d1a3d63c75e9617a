# Mailbox auditing is on for the organization: AuditDisabled is false (CIS 6.1.1, SCuBA
# MS.EXO.13.1v1).
package posture.controls.exchange_mailbox_auditing_enabled

import data.posture.lib

metadata := {
	"id": "exchange.mailbox-auditing-enabled",
	"title": "Mailbox auditing is enabled for the organization",
	"severity": "medium",
	"frameworks": [
		{"framework": "cis-m365-v7", "reference": "6.1.1"},
		{"framework": "cisa-scuba", "reference": "MS.EXO.13.1v1"},
	],
	"rationale": "Mailbox audit records say who read, sent or deleted mail; without them a mailbox compromise cannot be scoped.",
	"remediation": "Set-OrganizationConfig -AuditDisabled $false (the Exchange admin center has no switch for it).",
	"required_collections": ["exo_organization_config"],
}

config := lib.singleton("exo_organization_config")

result := r if {
	r := lib.exo_singleton_unusable(metadata.required_collections, "exo_organization_config")
} else := lib.result("pass", "mailbox auditing is on (AuditDisabled is false)", []) if {
	config.AuditDisabled == false
} else := lib.result("fail", "mailbox auditing is off for the organization", [lib.exo_evidence("organizationConfig", config, sprintf("AuditDisabled is %v", [object.get(config, "AuditDisabled", "absent")]))])
