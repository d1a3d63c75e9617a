# The default app management policy limits client secret lifetime to 180 days (or blocks secrets
# altogether). Posture's id: SCuBA's AAD baseline stops at MS.AAD.5.4v1.
package posture.controls.apps_password_lifetime_limited

import data.posture.lib

metadata := {
	"id": "posture.apps.password-lifetime-limited",
	"title": "The default app management policy limits client secrets to 180 days",
	"severity": "medium",
	"frameworks": [{"framework": "posture", "reference": "posture.apps.password-lifetime-limited"}],
	"rationale": "A secret's lifetime bounds how long a leaked copy works; without a limit, secrets are created for two years or more.",
	"remediation": "Microsoft Graph PATCH /policies/defaultAppManagementPolicy: isEnabled true and an applicationRestrictions.passwordCredentials restriction of type passwordLifetime, state enabled, maxLifetime P180D or less.",
	"required_collections": ["default_app_management_policy"],
}

max_days := lib.param("app_secret_max_lifetime_days", 180)

restriction := lib.app_restriction("passwordCredentials", "passwordLifetime")

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("default_app_management_policy")
} else := lib.result("pass", sprintf("client secrets are limited to %s (at most %d days)", [restriction.maxLifetime, max_days]), []) if {
	lib.duration_days(restriction.maxLifetime) <= max_days
} else := lib.result("pass", "client secrets cannot be added to applications at all, so their lifetime is moot", []) if {
	lib.app_restriction("passwordCredentials", "passwordAddition")
} else := lib.result("fail", sprintf("client secret lifetime is not limited to %d days", [max_days]), [lib.app_policy_evidence(why)])

why := "the policy is not enabled (isEnabled is not true)" if {
	not lib.app_policy_enabled
} else := sprintf("passwordLifetime maxLifetime is %s, over %d days", [restriction.maxLifetime, max_days]) if {
	is_string(restriction.maxLifetime)
} else := "no enabled passwordLifetime restriction under applicationRestrictions.passwordCredentials"
