# Every user is in the Standard or Strict Exchange Online Protection preset (SCuBA
# MS.DEFENDER.1.2v1): an enabled EOP preset rule that names no users or groups and covers every
# accepted domain (or names no recipient condition at all).
package posture.controls.defender_office_preset_covers_all_users

import data.posture.lib

metadata := {
	"id": "defender-office.preset-covers-all-users",
	"title": "All users are in the Standard or Strict preset security policy",
	"severity": "medium",
	"frameworks": [{"framework": "cisa-scuba", "reference": "MS.DEFENDER.1.2v1"}],
	"rationale": "A preset protects only the recipients its rule names; users left out get the defaults alone.",
	"remediation": "Preset security policies > Standard (or Strict) protection > Manage protection settings > Exchange Online Protection: apply to all recipients.",
	"required_collections": ["exo_protection_policy_rules", "exo_accepted_domains"],
}

domains := {lower(d.DomainName) | some d in lib.items("exo_accepted_domains"); not startswith(d.DomainName, "*")}

named(r, field) := lib.list(r, field)

covers_all(r) if {
	r.State == "Enabled"
	count(named(r, "SentTo")) == 0
	count(named(r, "SentToMemberOf")) == 0
	listed := {lower(d) | some d in named(r, "RecipientDomainIs")}
	count(listed) == 0
}

covers_all(r) if {
	r.State == "Enabled"
	count(named(r, "SentTo")) == 0
	count(named(r, "SentToMemberOf")) == 0
	listed := {lower(d) | some d in named(r, "RecipientDomainIs")}
	count(domains - listed) == 0
}

covering := [r | some r in lib.items("exo_protection_policy_rules"); covers_all(r)]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("pass", sprintf("%s applies to every accepted domain", [concat(", ", sort([lib.exo_name(r) | some r in covering]))]), []) if {
	count(covering) > 0
} else := lib.result("fail", "no enabled preset security policy applies to all users", [lib.exo_evidence("protectionPolicyRule", r, sprintf("State is %v", [object.get(r, "State", "absent")])) | some r in lib.items("exo_protection_policy_rules")])
