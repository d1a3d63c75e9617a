# The legacy MFA and SSPR method settings are retired: policyMigrationState is migrationComplete.
package posture.controls.methods_migration_complete

import data.posture.lib

metadata := {
	"id": "entra.methods.migration-complete",
	"title": "Authentication methods migration is complete",
	"severity": "low",
	"frameworks": [{"framework": "cisa-scuba", "reference": "MS.AAD.3.4v1"}],
	"rationale": "While the legacy MFA and SSPR settings still apply, a method disabled in the new policy can remain usable through the old one.",
	"remediation": "Entra admin center > Protection > Authentication methods > Policies: complete the migration ('Migration complete') after moving every method setting into the authentication methods policy.",
	"required_collections": ["authentication_methods_policy"],
}

state := lib.str(lib.singleton("authentication_methods_policy"), ["policyMigrationState"])

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("authentication_methods_policy")
} else := lib.result("pass", "authentication methods migration is complete", []) if {
	state == "migrationComplete"
} else := lib.result("fail", sprintf("authentication methods migration state is %q", [state]), [lib.evidence("authenticationMethodsPolicy", "authenticationMethodsPolicy", "Authentication methods policy", sprintf("policyMigrationState is %q", [state]))])
