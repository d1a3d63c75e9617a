# External sharing is limited to named domains (CIS 7.2.6: Limit external sharing by domain >
# Allow only specific domains).
package posture.controls.sharepoint_sharing_domains_allow_list

import data.posture.lib

metadata := {
	"id": "sharepoint.sharing-domains-allow-list",
	"title": "SharePoint external sharing is limited to allowed domains",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "7.2.6"}],
	"rationale": "Attackers try to move data out through sharing; allowing only the partner domains the organization works with shrinks where content can go.",
	"remediation": "SharePoint admin center > Policies > Sharing > More external sharing settings: check Limit external sharing by domain, choose Allow only specific domains and list the partner domains (or Set-SPOTenant -SharingDomainRestrictionMode AllowList -SharingAllowedDomainList \"partner.example\").",
	"required_collections": ["sharepoint_settings"],
}

mode := lib.str(lib.sharepoint_settings, "sharingDomainRestrictionMode")

allowed := lib.list(lib.sharepoint_settings, "sharingAllowedDomainList")

result := r if {
	r := lib.sharepoint_unusable(metadata.required_collections)
} else := lib.result("pass", sprintf("external sharing is limited to %d allowed domains: %s", [count(allowed), concat(", ", sort(allowed))]), []) if {
	mode == "allowList"
	count(allowed) > 0
} else := lib.result("fail", "the domain allow list is empty", [lib.sharepoint_evidence("sharingDomainRestrictionMode is allowList with no domains")]) if {
	mode == "allowList"
} else := lib.result("fail", sprintf("external sharing is not limited to specific domains (sharingDomainRestrictionMode is %s)", [lib.sharepoint_value("sharingDomainRestrictionMode")]), [lib.sharepoint_evidence(sprintf("sharingDomainRestrictionMode is %s; blocked domains: %d", [lib.sharepoint_value("sharingDomainRestrictionMode"), count(lib.list(lib.sharepoint_settings, "sharingBlockedDomainList"))]))])
