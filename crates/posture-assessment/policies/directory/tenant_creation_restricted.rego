# Non-admin users cannot create new Entra tenants (allowedToCreateTenants = false).
package posture.controls.tenant_creation_restricted

import data.posture.lib

metadata := {
	"id": "entra.tenants.creation-restricted",
	"title": "Non-admin users cannot create tenants",
	"severity": "low",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.1.2.3"}],
	"rationale": "Tenants created by users sit outside the organisation's controls yet carry its name and can hold its data.",
	"remediation": "Entra admin center > Users > User settings: set 'Restrict non-admin users from creating tenants' to Yes.",
	"required_collections": ["authorization_policy"],
}

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("authorization_policy")
} else := lib.result("pass", "non-admin users cannot create tenants", []) if {
	lib.authorization_policy.defaultUserRolePermissions.allowedToCreateTenants == false
} else := lib.result("fail", "non-admin users can create tenants", [lib.authorization_evidence("defaultUserRolePermissions.allowedToCreateTenants is not false")])
