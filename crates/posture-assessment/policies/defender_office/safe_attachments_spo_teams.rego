# Safe Attachments covers SharePoint, OneDrive and Teams (CIS 2.1.5): EnableATPForSPOTeamsODB and
# EnableSafeDocs on, AllowSafeDocsOpen off (people cannot open a file Safe Documents flagged).
package posture.controls.defender_office_safe_attachments_spo_teams

import data.posture.lib

metadata := {
	"id": "defender-office.safe-attachments-spo-teams",
	"title": "Safe Attachments for SharePoint, OneDrive and Teams is enabled",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "2.1.5"}],
	"rationale": "Files shared in SharePoint, OneDrive and Teams skip mail filtering entirely; without this setting a malicious upload reaches everyone it is shared with.",
	"remediation": "Microsoft Defender > Policies & rules > Threat policies > Safe Attachments > Global settings: turn on Defender for Office 365 for SharePoint, OneDrive and Microsoft Teams and Safe Documents, and do not allow people to click through Protected View (or Set-AtpPolicyForO365 -EnableATPForSPOTeamsODB $true -EnableSafeDocs $true -AllowSafeDocsOpen $false).",
	"required_collections": ["exo_atp_policy_for_o365"],
}

config := lib.singleton("exo_atp_policy_for_o365")

wanted := {"EnableATPForSPOTeamsODB": true, "EnableSafeDocs": true, "AllowSafeDocsOpen": false}

off := sort([sprintf("%s is %v", [k, object.get(config, k, "absent")]) | some k, v in wanted; object.get(config, k, null) != v])

result := r if {
	r := lib.exo_singleton_unusable(metadata.required_collections, "exo_atp_policy_for_o365")
} else := lib.result("pass", "Safe Attachments and Safe Documents protect SharePoint, OneDrive and Teams", []) if {
	count(off) == 0
} else := lib.result("fail", "Safe Attachments does not fully protect SharePoint, OneDrive and Teams", [lib.exo_evidence("atpPolicyForO365", config, concat(", ", off))])
