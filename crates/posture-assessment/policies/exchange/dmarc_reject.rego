# The DMARC policy of every accepted domain rejects failing mail (SCuBA MS.EXO.4.2v1: "The DMARC
# message rejection option SHALL be p=reject"). CIS accepts quarantine (exchange.dmarc-published).
package posture.controls.exchange_dmarc_reject

import data.posture.lib

metadata := {
	"id": "exchange.dmarc-reject",
	"title": "DMARC policies reject mail that fails authentication",
	"severity": "medium",
	"frameworks": [{"framework": "cisa-scuba", "reference": "MS.EXO.4.2v1"}],
	"rationale": "Quarantined spoofed mail still reaches junk folders and quarantines people look through; rejected mail never arrives.",
	"remediation": "Once DMARC reports show legitimate mail passing, change each _dmarc.<domain> record to p=reject.",
	"required_collections": ["dns_mail_records"],
}

domains := lib.items("dns_mail_records")

rejects(d) if lower(object.get(lib.dmarc_tags(d), "p", "")) == "reject"

failing := [d | some d in domains; not rejects(d)]

detail(d) := sprintf("DMARC policy p=%s", [object.get(lib.dmarc_tags(d), "p", "absent")]) if {
	lib.dmarc_tags(d)
} else := "no DMARC record at _dmarc"

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("pass", sprintf("all %d domains reject mail failing DMARC", [count(domains)]), []) if {
	count(failing) == 0
} else := lib.result("fail", sprintf("%s do not publish p=reject", [concat(", ", sort([d.domain | some d in failing]))]), [lib.dns_evidence(d, detail(d)) | some d in failing])
