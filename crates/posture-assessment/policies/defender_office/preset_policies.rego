# Preset security policies (SCuBA MS.DEFENDER.1.1v1: "The standard and strict preset security
# policies SHALL be enabled"), read from the Exchange Online Protection preset rules
# (Get-EOPProtectionPolicyRule): a preset is on when its rule's State is Enabled. The Defender for
# Office 365 half (Get-ATPProtectionPolicyRule) is not synced.
package posture.controls.defender_office_preset_policies

import data.posture.lib

metadata := {
	"id": "defender-office.preset-policies-enabled",
	"title": "The Standard and Strict preset security policies are enabled",
	"severity": "medium",
	"frameworks": [{"framework": "cisa-scuba", "reference": "MS.DEFENDER.1.1v1"}],
	"rationale": "The presets carry Microsoft's recommended anti-spam, anti-phishing and anti-malware settings and are updated as threats change; custom policies drift.",
	"remediation": "Microsoft Defender > Email & collaboration > Policies & rules > Threat policies > Preset security policies: turn on Standard protection and Strict protection.",
	"required_collections": ["exo_protection_policy_rules"],
}

presets := ["Standard Preset Security Policy", "Strict Preset Security Policy"]

rule_of(name) := r if {
	some r in lib.items("exo_protection_policy_rules")
	lib.exo_name(r) == name
}

enabled(name) if rule_of(name).State == "Enabled"

off := [name | some name in presets; not enabled(name)]

evidence_for(name) := lib.exo_evidence("protectionPolicyRule", rule_of(name), sprintf("State is %v", [object.get(rule_of(name), "State", "absent")])) if {
	rule_of(name)
} else := lib.evidence("protectionPolicyRule", name, name, "the preset has never been turned on")

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("pass", "the Standard and Strict preset security policies are enabled", []) if {
	count(off) == 0
} else := lib.result("fail", sprintf("%s not enabled", [concat(" and ", off)]), [evidence_for(name) | some name in off])
