# Users must not grant applications access to organisation data on their own: the default user role
# gets no "ManagePermissionGrantsForSelf.*" permission grant policy.
package posture.controls.user_consent_blocked

import data.posture.lib

metadata := {
	"id": "entra.apps.user-consent-blocked",
	"title": "Users cannot consent to applications",
	"severity": "high",
	"frameworks": [
		{"framework": "cisa-scuba", "reference": "MS.AAD.5.2v1"},
		{"framework": "cis-m365-v7", "reference": "5.1.5.1"},
	],
	"rationale": "Consent phishing gets a malicious app long-lived access to mail and files without any password; admin review stops it.",
	"remediation": "Entra admin center > Enterprise applications > Consent and permissions: set 'User consent for applications' to 'Do not allow user consent' and enable the admin consent workflow.",
	"required_collections": ["authorization_policy"],
}

# v1.0 carries the assigned policies under defaultUserRolePermissions; the beta property name is
# read too, for inventories synced from beta.
assigned := array.concat(
	lib.list(lib.authorization_policy, ["defaultUserRolePermissions", "permissionGrantPoliciesAssigned"]),
	lib.list(lib.authorization_policy, ["permissionGrantPolicyIdsAssignedToDefaultUserRole"]),
)

self_consent := sort({p | some p in assigned; startswith(p, "ManagePermissionGrantsForSelf.")})

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("authorization_policy")
} else := lib.result("fail", sprintf("users may consent to applications under: %s", [concat(", ", self_consent)]), [lib.authorization_evidence(sprintf("default user role has %s", [concat(", ", self_consent)]))]) if {
	count(self_consent) > 0
} else := lib.result("pass", "the default user role has no permission grant policy for self-consent", [])
