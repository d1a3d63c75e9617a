# DNS publishes the DKIM keys Exchange signs every custom domain's mail with: both selectors'
# CNAMEs (selector1._domainkey / selector2._domainkey) resolve to a key. Signing enabled in
# Exchange (exchange.dkim-enabled, CIS 2.1.9 / MS.EXO.3.1v1) without the records makes receivers
# fail the signature. Neither benchmark has a row of its own for the DNS side: CIS 2.1.9's audit
# checks the CNAMEs as part of enabling DKIM, so the control is Posture's own.
package posture.controls.exchange_dkim_published

import data.posture.lib

metadata := {
	"id": "exchange.dkim-published",
	"title": "DKIM selector records are published for every custom domain",
	"severity": "medium",
	"frameworks": [{"framework": "posture", "reference": "posture.mail.dkim-published"}],
	"rationale": "A DKIM signature verifies only when the domain publishes the key; without the selector records receivers treat signed mail as unsigned, and DMARC has only SPF to go on.",
	"remediation": "At the DNS host of each custom domain, publish the CNAMEs selector1._domainkey and selector2._domainkey pointing to the Selector1CNAME and Selector2CNAME that Get-DkimSigningConfig shows.",
	"required_collections": ["dns_mail_records"],
}

custom := [d | some d in lib.items("dns_mail_records"); lib.is_custom_domain(d)]

published(d, selector) if {
	s := d.dkim[selector]
	is_string(s.cname)
	count(lib.list(s, "records")) > 0
}

missing(d) := [s | some s in ["selector1", "selector2"]; not published(d, s)]

failing := [d | some d in custom; count(missing(d)) > 0]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("pass", sprintf("DKIM keys of all %d custom domains are published", [count(custom)]), []) if {
	count(failing) == 0
} else := lib.result("fail", sprintf("%s publish no DKIM key for Exchange's selectors", [concat(", ", sort([d.domain | some d in failing]))]), [lib.dns_evidence(d, sprintf("no key behind %s", [concat(", ", missing(d))])) | some d in failing])
