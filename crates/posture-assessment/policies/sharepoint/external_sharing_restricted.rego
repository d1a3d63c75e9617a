# External sharing for SharePoint (and so OneDrive, which can never be more permissive) is
# limited. CIS 7.2.3 accepts "New and existing guests" or less; SCuBA MS.SHAREPOINT.1.1v1 accepts
# only "Existing guests" or "Only people in your organization".
package posture.controls.sharepoint_external_sharing_restricted

import data.posture.lib

metadata := {
	"id": "sharepoint.external-sharing-restricted",
	"title": "SharePoint external sharing is restricted",
	"severity": "high",
	"frameworks": [
		{"framework": "cis-m365-v7", "reference": "7.2.3"},
		{"framework": "cisa-scuba", "reference": "MS.SHAREPOINT.1.1v1"},
	],
	"rationale": "Anyone links need no sign-in: whoever holds the link reads the content, and nothing records who that was. Guests who must authenticate have an identity that access controls and audits can account for.",
	"remediation": "SharePoint admin center > Policies > Sharing: move the SharePoint slider to New and existing guests or less (CIS), or to Existing guests or Only people in your organization (SCuBA); or Set-SPOTenant -SharingCapability ExistingExternalUserSharingOnly.",
	"required_collections": ["sharepoint_settings"],
}

capability := lib.str(lib.sharepoint_settings, "sharingCapability")

# CIS 7.2.3: "New and existing guests" (externalUserSharingOnly) or less permissive.
cis_allowed := {"externalUserSharingOnly", "existingExternalUserSharingOnly", "disabled"}

# SCuBA MS.SHAREPOINT.1.1v1: "Existing guests" or "Only people in your organization".
scuba_allowed := {"existingExternalUserSharingOnly", "disabled"}

fail_evidence := [lib.sharepoint_evidence(sprintf("sharingCapability is %s", [lib.sharepoint_value("sharingCapability")]))]

verdict(allowed, what) := lib.result("pass", sprintf("external sharing is %s (%s allows this level)", [capability, what]), []) if {
	capability in allowed
} else := lib.result("fail", sprintf("external sharing is %s, more permissive than %s allows", [lib.sharepoint_value("sharingCapability"), what]), fail_evidence)

result := r if {
	r := lib.sharepoint_unusable(metadata.required_collections)
} else := lib.with_framework(verdict(cis_allowed, "CIS (New and existing guests or less)"), lib.scuba_framework, verdict(scuba_allowed, "SCuBA (Existing guests or Only people in your organization)"))
