# Every accepted domain publishes a DMARC record. CIS 2.1.10 asks for an enforcing policy
# (p=quarantine or p=reject) on all mail (pct=100 where given) with aggregate reports sent
# somewhere (rua); SCuBA MS.EXO.4.1v1 asks for a DMARC policy for every domain, and
# MS.EXO.4.2v1 (control exchange.dmarc-reject) for p=reject.
package posture.controls.exchange_dmarc_published

import data.posture.lib

metadata := {
	"id": "exchange.dmarc-published",
	"title": "DMARC records are published for all Exchange domains",
	"severity": "medium",
	"frameworks": [
		{"framework": "cis-m365-v7", "reference": "2.1.10"},
		{"framework": "cisa-scuba", "reference": "MS.EXO.4.1v1"},
	],
	"rationale": "DMARC tells receivers what to do with mail that fails SPF and DKIM for the domain and where to report it; without it, spoofed mail is delivered and nobody hears of it.",
	"remediation": "At the DNS host of each domain, publish a TXT record at _dmarc.<domain>: v=DMARC1; p=quarantine (or p=reject); pct=100; rua=mailto:<reports address>.",
	"required_collections": ["dns_mail_records"],
}

domains := lib.items("dns_mail_records")

enforcing(d) if {
	tags := lib.dmarc_tags(d)
	lower(object.get(tags, "p", "")) in {"quarantine", "reject"}
	object.get(tags, "pct", "100") == "100"
	startswith(lower(object.get(tags, "rua", "")), "mailto:")
}

published(d) if lib.dmarc_tags(d)

detail(d) := sprintf("DMARC record: %s", [d.dmarc.records[0]]) if {
	lib.dmarc_tags(d)
} else := sprintf("%d DMARC records (one is allowed)", [count(d.dmarc.records)]) if {
	count(d.dmarc.records) > 1
} else := "no DMARC record at _dmarc"

cis_failing := [d | some d in domains; not enforcing(d)]

scuba_failing := [d | some d in domains; not published(d)]

cis := lib.result("pass", sprintf("all %d domains publish an enforcing DMARC policy with aggregate reports", [count(domains)]), []) if {
	count(cis_failing) == 0
} else := lib.result("fail", sprintf("%s publish no enforcing DMARC policy (p=quarantine or reject, pct=100, rua)", [concat(", ", sort([d.domain | some d in cis_failing]))]), [lib.dns_evidence(d, detail(d)) | some d in cis_failing])

scuba := lib.result("pass", sprintf("all %d domains publish a DMARC policy", [count(domains)]), []) if {
	count(scuba_failing) == 0
} else := lib.result("fail", sprintf("%s publish no DMARC policy", [concat(", ", sort([d.domain | some d in scuba_failing]))]), [lib.dns_evidence(d, detail(d)) | some d in scuba_failing])

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.with_framework(cis, lib.scuba_framework, scuba)
