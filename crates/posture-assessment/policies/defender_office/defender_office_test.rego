package posture.controls.defender_office_test

import data.posture.controls.defender_office_anti_phishing as phish
import data.posture.controls.defender_office_common_attachment_filter as filter
import data.posture.controls.defender_office_preset_covers_all_users as covers
import data.posture.controls.defender_office_preset_policies as presets
import data.posture.controls.defender_office_safe_attachments as attachments
import data.posture.controls.defender_office_safe_attachments_spo_teams as spo_teams
import data.posture.controls.defender_office_safe_links as links
import data.posture.testing

doc(name, items) := testing.doc({name: testing.ok(items)})

# --- Safe Links: CIS 2.1.1 ------------------------------------------------------------------------

strict_links := {
	"Guid": "sl-strict", "Name": "Strict Preset Security Policy",
	"EnableSafeLinksForEmail": true, "EnableSafeLinksForTeams": true, "EnableSafeLinksForOffice": true,
	"TrackClicks": true, "AllowClickThrough": false, "ScanUrls": true, "EnableForInternalSenders": true,
	"DeliverMessageAfterScan": true, "DisableUrlRewrite": false,
}

builtin_links := object.union(strict_links, {"Guid": "sl-builtin", "Name": "Built-In Protection Policy", "AllowClickThrough": true, "EnableForInternalSenders": false})

test_safe_links_with_recommended_settings_passes if {
	r := links.result with input as doc("exo_safe_links_policies", [builtin_links, strict_links])
	r.status == "pass"
	contains(r.reason, "Strict Preset Security Policy")
}

test_safe_links_built_in_only_fails_naming_the_settings if {
	r := links.result with input as doc("exo_safe_links_policies", [builtin_links])
	r.status == "fail"
	r.evidence[0].id == "sl-builtin"
	r.evidence[0].detail == "AllowClickThrough is true, EnableForInternalSenders is false"
}

test_no_safe_links_policy_fails if {
	r := links.result with input as doc("exo_safe_links_policies", [])
	r.status == "fail"
	contains(r.reason, "no Safe Links policy exists")
}

test_unreadable_safe_links_is_an_error if {
	r := links.result with input as testing.doc({"exo_safe_links_policies": testing.missing("no Exchange role")})
	r.status == "error"
}

# --- Common attachment filter: CIS 2.1.2 ---------------------------------------------------------

test_default_malware_policy_with_file_filter_passes if {
	r := filter.result with input as doc("exo_malware_filter_policies", [{"Guid": "mf-1", "Name": "Default", "IsDefault": true, "EnableFileFilter": true}])
	r.status == "pass"
}

test_default_malware_policy_without_file_filter_fails_even_beside_a_custom_one if {
	r := filter.result with input as doc("exo_malware_filter_policies", [
		{"Guid": "mf-1", "Name": "Default", "IsDefault": true, "EnableFileFilter": false},
		{"Guid": "mf-2", "Name": "Finance", "IsDefault": false, "EnableFileFilter": true},
	])
	r.status == "fail"
	[e.id | some e in r.evidence] == ["mf-1"]
}

# --- Safe Attachments: CIS 2.1.4 -----------------------------------------------------------------

test_blocking_safe_attachments_policy_passes if {
	r := attachments.result with input as doc("exo_safe_attachment_policies", [{"Guid": "sa-1", "Name": "Built-In Protection Policy", "Enable": true, "Action": "Block", "QuarantineTag": "AdminOnlyAccessPolicy"}])
	r.status == "pass"
}

test_monitoring_safe_attachments_policy_fails if {
	r := attachments.result with input as doc("exo_safe_attachment_policies", [{"Guid": "sa-1", "Name": "Pilot", "Enable": true, "Action": "Allow"}])
	r.status == "fail"
	r.evidence[0].detail == "Enable is true, Action Allow"
}

test_no_safe_attachments_policy_fails if {
	r := attachments.result with input as doc("exo_safe_attachment_policies", [])
	r.status == "fail"
}

# --- Anti-phishing: CIS 2.1.7 --------------------------------------------------------------------

strong_phish := {
	"Guid": "ap-strict", "Name": "Strict Preset Security Policy", "Enabled": true,
	"EnableSpoofIntelligence": true, "EnableMailboxIntelligence": true, "EnableMailboxIntelligenceProtection": true,
	"EnableTargetedUserProtection": true, "EnableOrganizationDomainsProtection": true,
	"EnableFirstContactSafetyTips": true, "HonorDmarcPolicy": true, "PhishThresholdLevel": 3,
	"TargetedUserProtectionAction": "Quarantine", "MailboxIntelligenceProtectionAction": "Quarantine",
}

test_impersonation_protecting_policy_passes if {
	r := phish.result with input as doc("exo_anti_phish_policies", [strong_phish])
	r.status == "pass"
}

test_default_threshold_and_no_impersonation_protection_fail if {
	weak := object.union(strong_phish, {"Guid": "ap-default", "PhishThresholdLevel": 1, "EnableTargetedUserProtection": false})
	r := phish.result with input as doc("exo_anti_phish_policies", [weak])
	r.status == "fail"
	r.evidence[0].id == "ap-default"
	contains(r.evidence[0].detail, "PhishThresholdLevel is 1")
	contains(r.evidence[0].detail, "EnableTargetedUserProtection is false")
}

test_a_present_safety_tip_that_is_off_fails if {
	r := phish.result with input as doc("exo_anti_phish_policies", [object.union(strong_phish, {"EnableSimilarUsersSafetyTips": false})])
	r.status == "fail"
	contains(r.evidence[0].detail, "EnableSimilarUsersSafetyTips is false")
}

# --- Preset security policies: MS.DEFENDER.1.1v1, 1.2v1 -------------------------------------------

preset(name, state, domains) := {"Guid": name, "Name": name, "State": state, "SentTo": [], "SentToMemberOf": [], "RecipientDomainIs": domains}

presets_doc(rules) := testing.doc({
	"exo_protection_policy_rules": testing.ok(rules),
	"exo_accepted_domains": testing.ok([{"DomainName": "contoso.com"}, {"DomainName": "contoso.onmicrosoft.com"}]),
})

both := ["contoso.com", "contoso.onmicrosoft.com"]

test_both_presets_enabled_pass if {
	r := presets.result with input as presets_doc([
		preset("Strict Preset Security Policy", "Enabled", both),
		preset("Standard Preset Security Policy", "Enabled", both),
	])
	r.status == "pass"
}

test_strict_preset_off_fails_naming_it if {
	r := presets.result with input as presets_doc([
		preset("Strict Preset Security Policy", "Disabled", both),
		preset("Standard Preset Security Policy", "Enabled", both),
	])
	r.status == "fail"
	[e.id | some e in r.evidence] == ["Strict Preset Security Policy"]
}

test_presets_never_turned_on_fail if {
	r := presets.result with input as presets_doc([])
	r.status == "fail"
	count(r.evidence) == 2
}

test_enabled_preset_for_every_domain_covers_all_users if {
	r := covers.result with input as presets_doc([preset("Standard Preset Security Policy", "Enabled", both)])
	r.status == "pass"
}

test_preset_for_one_domain_or_some_users_does_not_cover_all if {
	r := covers.result with input as presets_doc([
		preset("Standard Preset Security Policy", "Enabled", ["contoso.com"]),
		object.union(preset("Strict Preset Security Policy", "Enabled", []), {"SentTo": ["ceo@contoso.com"]}),
	])
	r.status == "fail"
}

test_disabled_presets_do_not_cover_anyone if {
	r := covers.result with input as presets_doc([preset("Standard Preset Security Policy", "Disabled", both)])
	r.status == "fail"
}

# --- Safe Attachments for SharePoint, OneDrive and Teams: CIS 2.1.5 -------------------------------

atp(spo, docs, open) := testing.doc({"exo_atp_policy_for_o365": testing.ok([{"Guid": "atp-1", "Name": "Default", "EnableATPForSPOTeamsODB": spo, "EnableSafeDocs": docs, "AllowSafeDocsOpen": open}])})

test_spo_teams_protection_with_safe_documents_passes if {
	r := spo_teams.result with input as atp(true, true, false)
	r.status == "pass"
}

test_safe_documents_off_fails_naming_it if {
	r := spo_teams.result with input as atp(true, false, false)
	r.status == "fail"
	r.evidence[0].id == "atp-1"
	r.evidence[0].detail == "EnableSafeDocs is false"
}

test_click_through_allowed_fails if {
	r := spo_teams.result with input as atp(true, true, true)
	r.status == "fail"
	r.evidence[0].detail == "AllowSafeDocsOpen is true"
}
