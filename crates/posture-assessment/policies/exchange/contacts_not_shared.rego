# Contact folders are not shared with all domains (SCuBA MS.EXO.6.1v1): no enabled sharing policy
# grants ContactsSharing to `*`.
package posture.controls.exchange_contacts_not_shared

import data.posture.lib

metadata := {
	"id": "exchange.contacts-not-shared-with-all-domains",
	"title": "Contact folders are not shared with all domains",
	"severity": "low",
	"frameworks": [{"framework": "cisa-scuba", "reference": "MS.EXO.6.1v1"}],
	"rationale": "Contacts shared with every domain hand an attacker the organization's address book, the first step of targeted phishing.",
	"remediation": "Exchange admin center > Organization > Sharing > Individual sharing: edit each policy's entry for all domains (*) to remove contacts sharing (or Set-SharingPolicy -Domains without ContactsSharing for *).",
	"required_collections": ["exo_sharing_policies"],
}

sharing := [p | some p in lib.items("exo_sharing_policies"); "ContactsSharing" in lib.shared_with_all(p)]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("pass", "no sharing policy shares contacts with all domains", []) if {
	count(sharing) == 0
} else := lib.result("fail", sprintf("sharing policy %s shares contacts with all domains", [concat(", ", sort([lib.exo_name(p) | some p in sharing]))]), [lib.exo_evidence("sharingPolicy", p, concat(", ", lib.list(p, "Domains"))) | some p in sharing])
