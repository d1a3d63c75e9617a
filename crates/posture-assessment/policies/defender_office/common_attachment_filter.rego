# The anti-malware policy blocks common malicious attachment types (CIS 2.1.2: the common
# attachment types filter is enabled, EnableFileFilter). The default policy applies to everyone.
package posture.controls.defender_office_common_attachment_filter

import data.posture.lib

metadata := {
	"id": "defender-office.common-attachment-filter",
	"title": "The common attachment types filter is enabled",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "2.1.2"}],
	"rationale": "Executables, scripts and disk images are how most mail-borne malware arrives; blocking the types outright stops it before any scan has to recognise it.",
	"remediation": "Microsoft Defender > Policies & rules > Threat policies > Anti-malware > Default: Protection settings, Enable the common attachments filter (or Set-MalwareFilterPolicy -Identity Default -EnableFileFilter $true).",
	"required_collections": ["exo_malware_filter_policies"],
}

policies := lib.items("exo_malware_filter_policies")

default_policies := [p | some p in policies; p.IsDefault == true]

# The default policy decides for everyone no custom policy covers.
judged := default_policies if {
	count(default_policies) > 0
} else := policies

unfiltered := [p | some p in judged; p.EnableFileFilter != true]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("fail", "no anti-malware policy is listed", []) if {
	count(judged) == 0
} else := lib.result("pass", "the common attachment types filter is on", []) if {
	count(unfiltered) == 0
} else := lib.result("fail", "the common attachment types filter is off", [lib.exo_evidence("malwareFilterPolicy", p, sprintf("EnableFileFilter is %v", [object.get(p, "EnableFileFilter", "absent")])) | some p in unfiltered])
