# Every accepted domain publishes an SPF record. CIS 2.1.8 asks for a record that names Exchange
# Online (`include:spf.protection.outlook.com`), so a soft fail (`~all`) passes; SCuBA MS.EXO.2.2
# asks for a policy that fails all non-approved senders, which ScubaGear reads as the hard fail
# `-all`. The SCuBA id's version suffix (v2 in the EXO baseline since 2024, v1 before) is not in
# the shared reference; the control keeps v2.
package posture.controls.exchange_spf_published

import data.posture.lib

metadata := {
	"id": "exchange.spf-published",
	"title": "SPF records are published for all Exchange domains",
	"severity": "medium",
	"frameworks": [
		{"framework": "cis-m365-v7", "reference": "2.1.8"},
		{"framework": "cisa-scuba", "reference": "MS.EXO.2.2v2"},
	],
	"rationale": "Without SPF, receivers cannot tell whether a server may send mail for the domain, so anyone can send mail that claims to come from it.",
	"remediation": "At the DNS host of each domain, publish one TXT record: v=spf1 include:spf.protection.outlook.com -all (adding any other approved senders before -all).",
	"required_collections": ["dns_mail_records"],
}

domains := lib.items("dns_mail_records")

names_exchange(d) if contains(lower(lib.spf_record(d)), "include:spf.protection.outlook.com")

hard_fail(d) if {
	lib.spf_record(d)
	d.spf.all == "-all"
}

spf_detail(d) := sprintf("SPF record: %s", [lib.spf_record(d)]) if {
	lib.spf_record(d)
} else := sprintf("%d SPF records (one is allowed)", [count(d.spf.records)]) if {
	count(d.spf.records) > 1
} else := "no SPF record"

cis_failing := [d | some d in domains; not names_exchange(d)]

scuba_failing := [d | some d in domains; not hard_fail(d)]

cis := lib.result("pass", sprintf("all %d domains publish SPF naming Exchange Online", [count(domains)]), []) if {
	count(cis_failing) == 0
} else := lib.result("fail", sprintf("%s publish no SPF record naming Exchange Online", [concat(", ", sort([d.domain | some d in cis_failing]))]), [lib.dns_evidence(d, spf_detail(d)) | some d in cis_failing])

scuba := lib.result("pass", sprintf("all %d domains publish SPF failing other senders (-all)", [count(domains)]), []) if {
	count(scuba_failing) == 0
} else := lib.result("fail", sprintf("%s do not fail non-approved senders with -all", [concat(", ", sort([d.domain | some d in scuba_failing]))]), [lib.dns_evidence(d, spf_detail(d)) | some d in scuba_failing])

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.with_framework(cis, lib.scuba_framework, scuba)
