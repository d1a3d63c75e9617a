# The default app management policy limits certificate (asymmetric key) lifetime to 365 days.
# Posture's id: SCuBA's AAD baseline stops at MS.AAD.5.4v1.
package posture.controls.apps_certificate_lifetime_limited

import data.posture.lib

metadata := {
	"id": "posture.apps.certificate-lifetime-limited",
	"title": "The default app management policy limits app certificates to 365 days",
	"severity": "low",
	"frameworks": [{"framework": "posture", "reference": "posture.apps.certificate-lifetime-limited"}],
	"rationale": "Certificates are safer than secrets but not forever: a private key copied once works until the certificate expires. A one-year limit forces rotation.",
	"remediation": "Microsoft Graph PATCH /policies/defaultAppManagementPolicy: isEnabled true and an applicationRestrictions.keyCredentials restriction of type asymmetricKeyLifetime, state enabled, maxLifetime P365D or less.",
	"required_collections": ["default_app_management_policy"],
}

max_days := lib.param("app_certificate_max_lifetime_days", 365)

restriction := lib.app_restriction("keyCredentials", "asymmetricKeyLifetime")

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("default_app_management_policy")
} else := lib.result("pass", sprintf("app certificates are limited to %s (at most %d days)", [restriction.maxLifetime, max_days]), []) if {
	lib.duration_days(restriction.maxLifetime) <= max_days
} else := lib.result("fail", sprintf("app certificate lifetime is not limited to %d days", [max_days]), [lib.app_policy_evidence(why)])

why := "the policy is not enabled (isEnabled is not true)" if {
	not lib.app_policy_enabled
} else := sprintf("asymmetricKeyLifetime maxLifetime is %s, over %d days", [restriction.maxLifetime, max_days]) if {
	is_string(restriction.maxLifetime)
} else := "no enabled asymmetricKeyLifetime restriction under applicationRestrictions.keyCredentials"
