package posture.controls.exchange_mail_dns_test

import data.posture.controls.exchange_dkim_published as dkim
import data.posture.controls.exchange_dmarc_published as dmarc
import data.posture.controls.exchange_dmarc_reject as reject
import data.posture.controls.exchange_spf_published as spf
import data.posture.testing

scuba(r) := f if {
	some f in r.by_framework
	f.framework == "cisa-scuba"
}

selector(published) := {"cname": "selector1-contoso-com._domainkey.contoso.onmicrosoft.com", "records": ["v=DKIM1; k=rsa; p=MIIB"]} if {
	published
} else := {"cname": null, "records": []}

domain(name, spf_records, all, dmarc_records, tags, dkim_published) := {
	"id": name,
	"domain": name,
	"spf": {"records": spf_records, "all": all},
	"dmarc": {"records": dmarc_records, "tags": tags},
	"dkim": {"selector1": selector(dkim_published), "selector2": selector(dkim_published)},
}

hard := domain(
	"contoso.com",
	["v=spf1 include:spf.protection.outlook.com -all"], "-all",
	["v=DMARC1; p=reject; pct=100; rua=mailto:d@contoso.com"], {"v": "DMARC1", "p": "reject", "pct": "100", "rua": "mailto:d@contoso.com"},
	true,
)

soft := domain(
	"contoso.com",
	["v=spf1 include:spf.protection.outlook.com ~all"], "~all",
	["v=DMARC1; p=quarantine; rua=mailto:d@contoso.com"], {"v": "DMARC1", "p": "quarantine", "rua": "mailto:d@contoso.com"},
	true,
)

bare := domain("contoso.com", [], null, [], {}, false)

initial := domain(
	"contoso.onmicrosoft.com",
	["v=spf1 include:spf.protection.outlook.com -all"], "-all",
	["v=DMARC1; p=reject; pct=100; rua=mailto:d@contoso.com"], {"v": "DMARC1", "p": "reject", "pct": "100", "rua": "mailto:d@contoso.com"},
	false,
)

doc(domains) := testing.doc({"dns_mail_records": testing.ok(domains)})

# --- SPF: CIS 2.1.8 / MS.EXO.2.2 ----------------------------------------------------------------

test_spf_hard_fail_passes_both if {
	r := spf.result with input as doc([hard, initial])
	r.status == "pass"
	scuba(r).status == "pass"
}

test_spf_soft_fail_passes_cis_but_fails_scuba if {
	r := spf.result with input as doc([soft, initial])
	r.status == "pass"
	s := scuba(r)
	s.status == "fail"
	[e.id | some e in s.evidence] == ["contoso.com"]
	contains(s.evidence[0].detail, "~all")
}

test_spf_missing_fails_both_naming_the_domain if {
	r := spf.result with input as doc([bare, initial])
	r.status == "fail"
	r.evidence[0].id == "contoso.com"
	r.evidence[0].detail == "no SPF record"
	scuba(r).status == "fail"
}

test_spf_two_records_are_no_record if {
	two := object.union(hard, {"spf": {"records": ["v=spf1 -all", "v=spf1 include:spf.protection.outlook.com -all"], "all": "-all"}})
	r := spf.result with input as doc([two])
	r.status == "fail"
	contains(r.evidence[0].detail, "2 SPF records")
}

test_spf_without_records_collection_is_an_error_with_the_reason if {
	r := spf.result with input as testing.doc({"dns_mail_records": testing.missing("DNS TXT contoso.com: the DNS server answered SERVFAIL")})
	r.status == "error"
	contains(r.reason, "SERVFAIL")
}

# --- DMARC: CIS 2.1.10 / MS.EXO.4.1v1, MS.EXO.4.2v1 ---------------------------------------------

test_dmarc_reject_passes_every_dmarc_control if {
	r := dmarc.result with input as doc([hard, initial])
	r.status == "pass"
	scuba(r).status == "pass"
	rj := reject.result with input as doc([hard, initial])
	rj.status == "pass"
}

test_dmarc_quarantine_passes_cis_and_4_1_but_fails_4_2 if {
	r := dmarc.result with input as doc([soft, initial])
	r.status == "pass"
	scuba(r).status == "pass"
	rj := reject.result with input as doc([soft, initial])
	rj.status == "fail"
	rj.evidence[0].detail == "DMARC policy p=quarantine"
}

test_dmarc_monitoring_only_fails_cis_but_is_published_for_scuba if {
	none := object.union(object.remove(hard, ["dmarc"]), {"dmarc": {"records": ["v=DMARC1; p=none"], "tags": {"v": "DMARC1", "p": "none"}}})
	r := dmarc.result with input as doc([none])
	r.status == "fail"
	scuba(r).status == "pass"
}

test_dmarc_without_reports_fails_cis if {
	quiet := object.union(object.remove(hard, ["dmarc"]), {"dmarc": {"records": ["v=DMARC1; p=reject"], "tags": {"v": "DMARC1", "p": "reject"}}})
	r := dmarc.result with input as doc([quiet])
	r.status == "fail"
}

test_dmarc_missing_fails_everything if {
	r := dmarc.result with input as doc([bare, initial])
	r.status == "fail"
	r.evidence[0].detail == "no DMARC record at _dmarc"
	scuba(r).status == "fail"
	rj := reject.result with input as doc([bare, initial])
	rj.status == "fail"
	[e.id | some e in rj.evidence] == ["contoso.com"]
}

# --- DKIM keys published ----------------------------------------------------------------------

test_dkim_keys_published_for_custom_domains_pass if {
	r := dkim.result with input as doc([hard, initial])
	r.status == "pass"
	contains(r.reason, "all 1 custom domains")
}

test_dkim_missing_selectors_fail_naming_them if {
	r := dkim.result with input as doc([bare, initial])
	r.status == "fail"
	r.evidence[0].id == "contoso.com"
	r.evidence[0].detail == "no key behind selector1, selector2"
}

test_dkim_cname_without_key_fails if {
	dangling := object.union(hard, {"dkim": {"selector1": {"cname": "selector1-x._domainkey.contoso.onmicrosoft.com", "records": []}, "selector2": selector(true)}})
	r := dkim.result with input as doc([dangling])
	r.status == "fail"
	r.evidence[0].detail == "no key behind selector1"
}
