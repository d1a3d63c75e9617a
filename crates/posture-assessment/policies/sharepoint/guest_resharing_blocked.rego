# Guests cannot share items they do not own (CIS 7.2.5).
package posture.controls.sharepoint_guest_resharing_blocked

import data.posture.lib

metadata := {
	"id": "sharepoint.guest-resharing-blocked",
	"title": "SharePoint guests cannot share items they don't own",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "7.2.5"}],
	"rationale": "The owner of a file, folder or site should decide which outsiders see it; a guest who reshares extends access to people nobody inside approved.",
	"remediation": "SharePoint admin center > Policies > Sharing > More external sharing settings: clear Allow guests to share items they don't own (or Set-SPOTenant -PreventExternalUsersFromResharing $true).",
	"required_collections": ["sharepoint_settings"],
}

result := r if {
	r := lib.sharepoint_unusable(metadata.required_collections)
} else := lib.result("pass", "guests cannot reshare items they do not own", []) if {
	lib.sharepoint_settings.isResharingByExternalUsersEnabled == false
} else := lib.result("fail", "guests may share items they do not own", [lib.sharepoint_evidence(sprintf("isResharingByExternalUsersEnabled is %s", [lib.sharepoint_value("isResharingByExternalUsersEnabled")]))])
