# The OneDrive sync app runs only on computers joined to the organization's domains (CIS 7.3.2).
package posture.controls.onedrive_sync_unmanaged_blocked

import data.posture.lib

metadata := {
	"id": "sharepoint.onedrive-sync-unmanaged-blocked",
	"title": "OneDrive sync is blocked on unmanaged devices",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "7.3.2"}],
	"rationale": "A synced library puts a full copy of the files on the device; on a personal computer that copy is outside every control the organization has.",
	"remediation": "SharePoint admin center > Settings > OneDrive > Sync: check Allow syncing only on computers joined to specific domains and add the domain GUIDs (or Set-SPOTenantSyncClientRestriction -Enable -DomainGuids \"<guid>\").",
	"required_collections": ["sharepoint_settings"],
}

guids := lib.list(lib.sharepoint_settings, "allowedDomainGuidsForSyncApp")

result := r if {
	r := lib.sharepoint_unusable(metadata.required_collections)
} else := lib.result("pass", sprintf("OneDrive sync is allowed only on computers joined to %d domains", [count(guids)]), []) if {
	lib.sharepoint_settings.isUnmanagedSyncAppForTenantRestricted == true
	count(guids) > 0
} else := lib.result("fail", "sync is restricted but no domain is allowed", [lib.sharepoint_evidence("isUnmanagedSyncAppForTenantRestricted is true with an empty allowedDomainGuidsForSyncApp")]) if {
	lib.sharepoint_settings.isUnmanagedSyncAppForTenantRestricted == true
} else := lib.result("fail", "the OneDrive sync app runs on any computer", [lib.sharepoint_evidence(sprintf("isUnmanagedSyncAppForTenantRestricted is %s", [lib.sharepoint_value("isUnmanagedSyncAppForTenantRestricted")]))])
