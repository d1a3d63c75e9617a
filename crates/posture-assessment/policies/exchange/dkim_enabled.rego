# Every custom accepted domain signs its mail with DKIM (CIS 2.1.9, SCuBA MS.EXO.3.1v1). The
# initial *.onmicrosoft.com domain is signed by Microsoft and needs nothing.
package posture.controls.exchange_dkim_enabled

import data.posture.lib

metadata := {
	"id": "exchange.dkim-enabled",
	"title": "DKIM signing is enabled for every custom domain",
	"severity": "medium",
	"frameworks": [
		{"framework": "cis-m365-v7", "reference": "2.1.9"},
		{"framework": "cisa-scuba", "reference": "MS.EXO.3.1v1"},
	],
	"rationale": "Without DKIM, receivers cannot tell mail from the domain apart from forgeries, and DMARC has only SPF to go on.",
	"remediation": "Publish the two selector CNAME records for the domain, then Microsoft Defender > Email authentication settings > DKIM: enable signing for it (or Set-DkimSigningConfig -Identity <domain> -Enabled $true).",
	"required_collections": ["exo_accepted_domains", "exo_dkim_signing_config"],
}

custom_domains := {lower(d.DomainName) |
	some d in lib.items("exo_accepted_domains")
	not endswith(lower(d.DomainName), ".onmicrosoft.com")
}

signing := {lower(c.Domain) | some c in lib.items("exo_dkim_signing_config"); c.Enabled == true}

unsigned := sort([d | some d in custom_domains; not d in signing])

config_of(domain) := c if {
	some c in lib.items("exo_dkim_signing_config")
	lower(c.Domain) == domain
}

evidence_for(domain) := lib.exo_evidence("dkimSigningConfig", c, sprintf("Enabled is %v, Status %v", [object.get(c, "Enabled", "absent"), object.get(c, "Status", "absent")])) if {
	c := config_of(domain)
} else := lib.evidence("acceptedDomain", domain, domain, "no DKIM signing configuration")

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("pass", sprintf("DKIM signs mail of all %d custom domains", [count(custom_domains)]), []) if {
	count(unsigned) == 0
} else := lib.result("fail", sprintf("DKIM does not sign mail of %s", [concat(", ", unsigned)]), [evidence_for(d) | some d in unsigned])
