# Only administrators create security groups (CIS 5.1.3.x):
# authorizationPolicy.defaultUserRolePermissions.allowedToCreateSecurityGroups is false.
package posture.controls.security_group_creation_restricted

import data.posture.lib

metadata := {
	"id": "entra.groups.security-creation-restricted",
	"title": "Users cannot create security groups",
	"severity": "low",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.1.3.2"}],
	"rationale": "Security groups grant access to apps, files and policies; groups created and populated by anyone make access hard to review and easy to widen.",
	"remediation": "Entra admin center > Entra ID > Groups > General: set 'Users can create security groups in Azure portals, API or PowerShell' to No.",
	"required_collections": ["authorization_policy"],
}

allowed := object.get(lib.authorization_policy, ["defaultUserRolePermissions", "allowedToCreateSecurityGroups"], null)

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("authorization_policy")
} else := lib.result("pass", "only administrators can create security groups", []) if {
	allowed == false
} else := lib.result("fail", "users can create security groups", [lib.authorization_evidence(sprintf("defaultUserRolePermissions.allowedToCreateSecurityGroups is %v", [allowed]))])
