# SharePoint and OneDrive refuse legacy authentication protocols (isLegacyAuthProtocolsEnabled).
package posture.controls.sharepoint_modern_auth

import data.posture.lib

metadata := {
	"id": "sharepoint.modern-auth-required",
	"title": "SharePoint requires modern authentication",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "7.2.1"}],
	"rationale": "Legacy protocols bypass Conditional Access and MFA for SharePoint and OneDrive content.",
	"remediation": "SharePoint admin center > Policies > Access control > Apps that don't use modern authentication: Block access (or Set-SPOTenant -LegacyAuthProtocolsEnabled $false).",
	"required_collections": ["sharepoint_settings"],
}

# The documented response wraps the settings in {"value": {...}}; a plain singleton is flat.
settings := s if {
	s := lib.singleton("sharepoint_settings").value
	is_object(s)
} else := lib.singleton("sharepoint_settings")

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("sharepoint_settings")
} else := lib.result("pass", "legacy authentication protocols are blocked for SharePoint", []) if {
	settings.isLegacyAuthProtocolsEnabled == false
} else := lib.result("fail", "SharePoint accepts legacy authentication protocols", [lib.evidence("sharepointSettings", "admin/sharepoint/settings", "SharePoint tenant settings", sprintf("isLegacyAuthProtocolsEnabled is %v", [object.get(settings, "isLegacyAuthProtocolsEnabled", "absent")]))])
