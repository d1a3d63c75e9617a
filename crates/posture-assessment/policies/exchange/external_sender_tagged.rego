# Mail from outside the organization is marked as such. CIS 6.2.3 reads Outlook's native external
# tag (Get-ExternalInOutlook Enabled); SCuBA MS.EXO.7.1v1 asks for an external sender warning,
# which its assessment finds as an enabled mail flow rule that prepends a warning to mail from
# outside the organization. Either may be in place without the other.
package posture.controls.exchange_external_sender_tagged

import data.posture.lib

metadata := {
	"id": "exchange.external-sender-tagged",
	"title": "Mail from external senders is tagged",
	"severity": "low",
	"frameworks": [
		{"framework": "cis-m365-v7", "reference": "6.2.3"},
		{"framework": "cisa-scuba", "reference": "MS.EXO.7.1v1"},
	],
	"rationale": "A visible external marker is the cheapest defence against mail impersonating a colleague or an executive.",
	"remediation": "Set-ExternalInOutlook -Enabled $true (CIS); Exchange admin center > Mail flow > Rules: a rule for mail sent from outside the organization that prepends a warning (SCuBA).",
	"required_collections": ["exo_external_in_outlook", "exo_transport_rules"],
}

tagging := [t | some t in lib.items("exo_external_in_outlook"); t.Enabled == true]

warning_rules := [r |
	some r in lib.items("exo_transport_rules")
	r.State == "Enabled"
	r.FromScope == "NotInOrganization"
	prepends(r)
]

prepends(r) if r.ApplyHtmlDisclaimerLocation == "Prepend"

prepends(r) if is_string(r.PrependSubject)

cis := lib.result("pass", "Outlook tags mail from external senders", []) if {
	count(tagging) > 0
} else := lib.result("fail", "Outlook's external sender tag is off", [lib.exo_evidence("externalInOutlook", t, sprintf("Enabled is %v", [object.get(t, "Enabled", "absent")])) | some t in lib.items("exo_external_in_outlook")])

scuba := lib.result("pass", sprintf("mail flow rule %s warns about external senders", [concat(", ", sort([lib.exo_name(r) | some r in warning_rules]))]), []) if {
	count(warning_rules) > 0
} else := lib.result("fail", "no enabled mail flow rule prepends a warning to mail from outside the organization", [])

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.with_framework(cis, lib.scuba_framework, scuba)
