package posture.controls.exchange_test

import data.posture.controls.exchange_dkim_enabled as dkim
import data.posture.controls.exchange_external_sender_tagged as tagged
import data.posture.controls.exchange_forwarding_blocked as forwarding
import data.posture.controls.exchange_mailbox_auditing_enabled as auditing
import data.posture.controls.exchange_smtp_auth_disabled as smtp
import data.posture.controls.exchange_unified_audit_log_enabled as ual
import data.posture.testing

scuba(r) := f if {
	some f in r.by_framework
	f.framework == "cisa-scuba"
}

remote(forward) := {"Guid": "rd-1", "Name": "Default", "DomainName": "*", "AutoForwardEnabled": forward}

outbound(mode) := {"Guid": "os-1", "Name": "Default", "AutoForwardingMode": mode}

redirect_rule := {"Guid": "tr-9", "Name": "Copy finance mail", "State": "Enabled", "RedirectMessageTo": ["x@example.org"]}

forwarding_doc(domains, policies, rules) := testing.doc({
	"exo_remote_domains": testing.ok(domains),
	"exo_outbound_spam_policies": testing.ok(policies),
	"exo_transport_rules": testing.ok(rules),
})

# --- 6.2.1 / MS.EXO.1.1v1 -------------------------------------------------------------------------

test_forwarding_off_everywhere_passes_both if {
	r := forwarding.result with input as forwarding_doc([remote(false)], [outbound("Off")], [])
	r.status == "pass"
	scuba(r).status == "pass"
}

test_automatic_default_passes_scuba_but_fails_cis if {
	r := forwarding.result with input as forwarding_doc([remote(false)], [outbound("Automatic")], [])
	r.status == "fail"
	r.evidence[0].id == "os-1"
	contains(r.evidence[0].detail, "Automatic")
	scuba(r).status == "pass"
}

test_forwarding_remote_domain_and_redirect_rule_fail_both if {
	r := forwarding.result with input as forwarding_doc([remote(true)], [outbound("On")], [redirect_rule])
	r.status == "fail"
	{e.id | some e in r.evidence} == {"os-1", "tr-9", "rd-1"}
	scuba(r).status == "fail"
	scuba(r).evidence[0].id == "rd-1"
}

test_unreadable_remote_domains_are_an_error_naming_the_role if {
	r := forwarding.result with input as testing.doc({
		"exo_remote_domains": testing.missing("401 Unauthorized: the app holds no Exchange role; assign it the Global Reader directory role"),
		"exo_outbound_spam_policies": testing.ok([]),
		"exo_transport_rules": testing.ok([]),
	})
	r.status == "error"
	contains(r.reason, "Global Reader")
}

# --- 2.1.9 / MS.EXO.3.1v1 -------------------------------------------------------------------------

dkim_doc(configs) := testing.doc({
	"exo_accepted_domains": testing.ok([
		{"Guid": "ad-1", "DomainName": "contoso.onmicrosoft.com"},
		{"Guid": "ad-2", "DomainName": "contoso.example.com"},
	]),
	"exo_dkim_signing_config": testing.ok(configs),
})

test_signed_custom_domain_passes if {
	r := dkim.result with input as dkim_doc([{"Guid": "dk-2", "Domain": "contoso.example.com", "Enabled": true}])
	r.status == "pass"
}

test_unsigned_custom_domain_fails_naming_it if {
	r := dkim.result with input as dkim_doc([
		{"Guid": "dk-1", "Domain": "contoso.onmicrosoft.com", "Enabled": true},
		{"Guid": "dk-2", "Domain": "contoso.example.com", "Enabled": false, "Status": "CnameMissing"},
	])
	r.status == "fail"
	r.evidence[0].id == "dk-2"
	contains(r.reason, "contoso.example.com")
}

test_custom_domain_without_a_configuration_fails if {
	r := dkim.result with input as dkim_doc([])
	r.status == "fail"
	r.evidence[0].detail == "no DKIM signing configuration"
}

# --- 6.5.4, 6.1.1 / MS.EXO.13.1v1, 3.1.1 / MS.EXO.17.1v1 -------------------------------------------

test_smtp_auth if {
	smtp.result.status == "pass" with input as testing.doc({"exo_transport_config": testing.ok([{"Identity": "Transport Settings", "SmtpClientAuthenticationDisabled": true}])})
	r := smtp.result with input as testing.doc({"exo_transport_config": testing.ok([{"Guid": "tc", "SmtpClientAuthenticationDisabled": false}])})
	r.status == "fail"
	r.evidence[0].id == "tc"
}

test_empty_transport_config_is_an_error if {
	smtp.result.status == "error" with input as testing.doc({"exo_transport_config": testing.ok([])})
}

test_mailbox_auditing if {
	auditing.result.status == "pass" with input as testing.doc({"exo_organization_config": testing.ok([{"Guid": "org", "AuditDisabled": false}])})
	auditing.result.status == "fail" with input as testing.doc({"exo_organization_config": testing.ok([{"Guid": "org", "AuditDisabled": true}])})
}

test_unified_audit_log if {
	ual.result.status == "pass" with input as testing.doc({"exo_admin_audit_log_config": testing.ok([{"Guid": "a", "UnifiedAuditLogIngestionEnabled": true}])})
	ual.result.status == "fail" with input as testing.doc({"exo_admin_audit_log_config": testing.ok([{"Guid": "a", "UnifiedAuditLogIngestionEnabled": false}])})
}

# --- 6.2.3 / MS.EXO.7.1v1 -------------------------------------------------------------------------

tag_doc(enabled, rules) := testing.doc({
	"exo_external_in_outlook": testing.ok([{"Identity": "contoso", "Enabled": enabled}]),
	"exo_transport_rules": testing.ok(rules),
})

warning_rule := {"Guid": "tr-0", "Name": "External sender disclaimer", "State": "Enabled", "FromScope": "NotInOrganization", "ApplyHtmlDisclaimerLocation": "Prepend"}

test_native_tag_and_warning_rule_pass_both if {
	r := tagged.result with input as tag_doc(true, [warning_rule])
	r.status == "pass"
	scuba(r).status == "pass"
}

test_warning_rule_alone_passes_scuba_but_fails_cis if {
	r := tagged.result with input as tag_doc(false, [warning_rule])
	r.status == "fail"
	r.evidence[0].id == "contoso"
	scuba(r).status == "pass"
}

test_disabled_rule_does_not_count if {
	r := tagged.result with input as tag_doc(true, [object.union(warning_rule, {"State": "Disabled"})])
	r.status == "pass"
	scuba(r).status == "fail"
}
