# The default app management policy blocks adding client secrets (password credentials) to
# applications, so apps authenticate with certificates, managed identities or federated credentials.
# SCuBA's AAD baseline stops at MS.AAD.5.4v1, so this is Posture's own id.
package posture.controls.apps_password_credentials_blocked

import data.posture.lib

metadata := {
	"id": "posture.apps.password-credentials-blocked",
	"title": "The default app management policy blocks new client secrets",
	"severity": "medium",
	"frameworks": [{"framework": "posture", "reference": "posture.apps.password-credentials-blocked"}],
	"rationale": "Client secrets are passwords for apps: copied into scripts and config files, they leak. Blocking new ones leaves certificates and workload identity federation, which do not travel as text.",
	"remediation": "Microsoft Graph PATCH /policies/defaultAppManagementPolicy: isEnabled true and an applicationRestrictions.passwordCredentials restriction of type passwordAddition, state enabled (Entra ID Workload ID licence for enforcement on existing apps).",
	"required_collections": ["default_app_management_policy"],
}

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("default_app_management_policy")
} else := lib.result("pass", "the default app management policy blocks adding client secrets to applications", []) if {
	lib.app_restriction("passwordCredentials", "passwordAddition")
} else := lib.result("fail", "client secrets can be added to applications", [lib.app_policy_evidence(why)])

why := "the policy is not enabled (isEnabled is not true)" if {
	not lib.app_policy_enabled
} else := "no enabled passwordAddition restriction under applicationRestrictions.passwordCredentials"
