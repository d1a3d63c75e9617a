# CIS 5.1.3.1: a dynamic group for guest users exists, so policies and reviews can target every
# guest as one group that keeps itself current.
package posture.controls.guest_dynamic_group

import data.posture.lib

metadata := {
	"id": "entra.groups.guest-dynamic-group",
	"title": "A dynamic group for guest users exists",
	"severity": "low",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.1.3.1"}],
	"rationale": "A group whose membership rule selects every guest keeps Conditional Access, access reviews and licensing aimed at guests complete as guests come and go.",
	"remediation": "Create a security group with membership type Dynamic User and the rule (user.userType -eq \"Guest\") in the Microsoft Entra admin center (Groups > New group), and keep its rule processing On.",
	"required_collections": ["groups"],
	"reads_items": ["groups"],
}

dynamic(g) if "DynamicMembership" in lib.list(g, ["groupTypes"])

# The rule selects guests: user.userType -eq "Guest" (any case, either quote).
selects_guests(g) if regex.match(`(?i)user\.usertype\s+-eq\s+["']guest["']`, lib.str(g, ["membershipRule"]))

paused(g) if lower(lib.str(g, ["membershipRuleProcessingState"])) == "paused"

guest_groups := [g | some g in lib.items("groups"); dynamic(g); selects_guests(g)]

maintained := [g | some g in guest_groups; not paused(g)]

group_evidence(g, detail) := lib.evidence("group", g.id, object.get(g, "displayName", g.id), detail)

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("pass", sprintf("dynamic guest group: %s", [concat(", ", sort([object.get(g, "displayName", g.id) | some g in maintained]))]), [group_evidence(g, "dynamic group of guest users") | some g in maintained]) if {
	count(maintained) > 0
} else := lib.result("fail", "the only dynamic groups selecting guests have membership rule processing paused", [group_evidence(g, "membership rule processing is paused") | some g in guest_groups]) if {
	count(guest_groups) > 0
} else := lib.result("fail", "no dynamic group has the membership rule (user.userType -eq \"Guest\")", [])
