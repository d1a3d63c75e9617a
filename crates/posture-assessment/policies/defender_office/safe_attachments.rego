# A Safe Attachments policy detonates attachments and blocks the malicious ones, quarantined for
# administrators only (CIS 2.1.4: Enable, Action Block, QuarantineTag AdminOnlyAccessPolicy).
# CIS 2.1.5 (Safe Attachments for SharePoint, OneDrive and Teams) reads Get-AtpPolicyForO365,
# which is not synced; this control does not judge it.
package posture.controls.defender_office_safe_attachments

import data.posture.lib

metadata := {
	"id": "defender-office.safe-attachments",
	"title": "Safe Attachments blocks malicious attachments",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "2.1.4"}],
	"rationale": "Signature scanning misses new malware; Safe Attachments opens each attachment in a sandbox before delivery.",
	"remediation": "Microsoft Defender > Policies & rules > Threat policies > Safe Attachments: a policy for all recipients with Block, quarantined with AdminOnlyAccessPolicy (or turn on the Strict or Standard preset).",
	"required_collections": ["exo_safe_attachment_policies"],
}

policies := lib.items("exo_safe_attachment_policies")

blocking(p) if {
	p.Enable == true
	p.Action == "Block"
	object.get(p, "QuarantineTag", "AdminOnlyAccessPolicy") == "AdminOnlyAccessPolicy"
}

complete := [p | some p in policies; blocking(p)]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("pass", sprintf("Safe Attachments policy %s blocks malicious attachments", [concat(", ", sort([lib.exo_name(p) | some p in complete]))]), []) if {
	count(complete) > 0
} else := lib.result("fail", "no Safe Attachments policy exists (Defender for Office 365 Plan 1 or later is needed)", []) if {
	count(policies) == 0
} else := lib.result("fail", "no Safe Attachments policy blocks malicious attachments", [lib.exo_evidence("safeAttachmentPolicy", p, sprintf("Enable is %v, Action %v", [object.get(p, "Enable", "absent"), object.get(p, "Action", "absent")])) | some p in policies])
