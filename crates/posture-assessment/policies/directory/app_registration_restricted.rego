# Only administrators register applications: defaultUserRolePermissions.allowedToCreateApps = false.
package posture.controls.app_registration_restricted

import data.posture.lib

metadata := {
	"id": "entra.apps.user-registration-blocked",
	"title": "Only administrators can register applications",
	"severity": "medium",
	"frameworks": [
		{"framework": "cisa-scuba", "reference": "MS.AAD.5.1v1"},
		{"framework": "cis-m365-v7", "reference": "5.1.2.2"},
	],
	"rationale": "App registrations created by any user become unmanaged identities with credentials that can be abused for persistence or consent phishing.",
	"remediation": "Entra admin center > Users > User settings: set 'Users can register applications' to No; grant Application Developer to the people who need it.",
	"required_collections": ["authorization_policy"],
}

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("authorization_policy")
} else := lib.result("pass", "users cannot register applications", []) if {
	lib.authorization_policy.defaultUserRolePermissions.allowedToCreateApps == false
} else := lib.result("fail", "every user can register applications", [lib.authorization_evidence("defaultUserRolePermissions.allowedToCreateApps is not false")])
