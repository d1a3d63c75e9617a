# The unified audit log records activity (CIS 3.1.1, SCuBA MS.EXO.17.1v1):
# UnifiedAuditLogIngestionEnabled in the admin audit log configuration.
package posture.controls.exchange_unified_audit_log_enabled

import data.posture.lib

metadata := {
	"id": "exchange.unified-audit-log-enabled",
	"title": "The unified audit log is enabled",
	"severity": "high",
	"frameworks": [
		{"framework": "cis-m365-v7", "reference": "3.1.1"},
		{"framework": "cisa-scuba", "reference": "MS.EXO.17.1v1"},
	],
	"rationale": "Investigations across Microsoft 365 start from the unified audit log; activity before it is turned on is never recorded.",
	"remediation": "Microsoft Purview portal > Audit: Start recording user and admin activity (or Set-AdminAuditLogConfig -UnifiedAuditLogIngestionEnabled $true).",
	"required_collections": ["exo_admin_audit_log_config"],
}

config := lib.singleton("exo_admin_audit_log_config")

result := r if {
	r := lib.exo_singleton_unusable(metadata.required_collections, "exo_admin_audit_log_config")
} else := lib.result("pass", "the unified audit log records activity", []) if {
	config.UnifiedAuditLogIngestionEnabled == true
} else := lib.result("fail", "the unified audit log is off", [lib.exo_evidence("adminAuditLogConfig", config, sprintf("UnifiedAuditLogIngestionEnabled is %v", [object.get(config, "UnifiedAuditLogIngestionEnabled", "absent")]))])
