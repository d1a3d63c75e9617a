# Only administrators create Microsoft 365 groups (CIS 5.1.3.x): the Group.Unified directory setting
# has EnableGroupCreation = false. Graph's default (no setting object) lets everyone create them.
package posture.controls.group_creation_restricted

import data.posture.lib

metadata := {
	"id": "entra.groups.m365-creation-restricted",
	"title": "Users cannot create Microsoft 365 groups",
	"severity": "low",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.1.3.4"}],
	"rationale": "Every Microsoft 365 group brings a mailbox, a SharePoint site and a Team; created at will they sprawl, get shared with guests and escape lifecycle and naming policies.",
	"remediation": "Create or update the Group.Unified directory setting with EnableGroupCreation = false (optionally GroupCreationAllowedGroupId naming the group of users allowed to create groups), e.g. with Update-MgBetaDirectorySetting or the Entra admin center > Groups > General: 'Users can create Microsoft 365 groups' = No.",
	"required_collections": ["directory_settings"],
}

values := lib.directory_setting_values("EnableGroupCreation")

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("pass", "only administrators (and any group named by GroupCreationAllowedGroupId) can create Microsoft 365 groups", []) if {
	values == {"false"}
} else := lib.result("fail", "users can create Microsoft 365 groups (Group.Unified EnableGroupCreation is not false)", lib.directory_setting_evidence("EnableGroupCreation", "EnableGroupCreation is true")) if {
	count(values) > 0
} else := lib.result("fail", "users can create Microsoft 365 groups (no Group.Unified directory setting; the default allows it)", [lib.evidence("directorySetting", "Group.Unified", "Group.Unified", "setting absent: EnableGroupCreation defaults to true")])
