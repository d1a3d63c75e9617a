# Mail is not forwarded automatically outside the organization. SCuBA MS.EXO.1.1v1 reads the
# remote domains (AutoForwardEnabled off for every one); CIS 6.2.1 reads the outbound spam
# policies (AutoForwardingMode Off, not the Automatic default) and the mail flow rules that
# redirect mail, so a tenant that only relies on the default passes SCuBA and fails CIS.
package posture.controls.exchange_forwarding_blocked

import data.posture.lib

metadata := {
	"id": "exchange.external-forwarding-blocked",
	"title": "Automatic forwarding to external recipients is blocked",
	"severity": "high",
	"frameworks": [
		{"framework": "cis-m365-v7", "reference": "6.2.1"},
		{"framework": "cisa-scuba", "reference": "MS.EXO.1.1v1"},
	],
	"rationale": "Forwarding rules are a favourite of attackers who took over a mailbox: mail keeps flowing to them after the password is reset, and nothing in the mailbox shows it.",
	"remediation": "Exchange admin center > Mail flow > Remote domains > Default: clear Allow automatic forwarding (SCuBA); Microsoft Defender > Policies > Anti-spam > Anti-spam outbound policy: Automatic forwarding rules: Off, and remove mail flow rules that redirect mail outside (CIS).",
	"required_collections": ["exo_remote_domains", "exo_outbound_spam_policies", "exo_transport_rules"],
}

forwarding_domains := [d | some d in lib.items("exo_remote_domains"); d.AutoForwardEnabled != false]

not_off := [p | some p in lib.items("exo_outbound_spam_policies"); p.AutoForwardingMode != "Off"]

redirecting := [r |
	some r in lib.items("exo_transport_rules")
	r.State == "Enabled"
	count(lib.list(r, ["RedirectMessageTo"])) + count(lib.list(r, ["BlindCopyTo"])) > 0
]

scuba := lib.result("pass", "no remote domain allows automatic forwarding", []) if {
	count(forwarding_domains) == 0
} else := lib.result(
	"fail",
	sprintf("%d remote domains allow automatic forwarding", [count(forwarding_domains)]),
	[lib.exo_evidence("remoteDomain", d, sprintf("AutoForwardEnabled is %v for %v", [object.get(d, "AutoForwardEnabled", "absent"), object.get(d, "DomainName", "?")])) | some d in forwarding_domains],
)

cis := lib.result("pass", "outbound spam policies turn automatic forwarding off and no mail flow rule redirects mail", []) if {
	count(not_off) + count(redirecting) == 0
} else := lib.result(
	"fail",
	sprintf("%d outbound spam policies do not set AutoForwardingMode Off and %d mail flow rules redirect or copy mail", [count(not_off), count(redirecting)]),
	array.concat(
		[lib.exo_evidence("outboundSpamPolicy", p, sprintf("AutoForwardingMode is %v", [object.get(p, "AutoForwardingMode", "absent")])) | some p in not_off],
		[lib.exo_evidence("transportRule", r, sprintf("redirects to %v", [array.concat(lib.list(r, ["RedirectMessageTo"]), lib.list(r, ["BlindCopyTo"]))])) | some r in redirecting],
	),
)

# Frameworks that agree share one result (the engine keeps a framework's own only where it
# differs), so when both fail it cites what each of them found.
shared := lib.result("fail", sprintf("%s; SCuBA: %s", [cis.reason, scuba.reason]), array.concat(cis.evidence, scuba.evidence)) if {
	cis.status == "fail"
	scuba.status == "fail"
} else := cis

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.with_framework(shared, lib.scuba_framework, scuba)
