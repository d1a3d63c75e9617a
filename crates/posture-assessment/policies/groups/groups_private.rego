# CIS 1.2.1: Microsoft 365 groups are private unless their public visibility was approved (record
# an approved group as an exception for that object).
package posture.controls.groups_private

import data.posture.lib

metadata := {
	"id": "entra.groups.m365-groups-private",
	"title": "Microsoft 365 groups are private unless approved",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "1.2.1"}],
	"rationale": "Anyone in the organisation can join a public Microsoft 365 group and read its mail, files and Teams conversations without its owners' approval.",
	"remediation": "In the Microsoft 365 admin center (Teams & groups > Active teams & groups) set each listed group's privacy to Private; a group whose public visibility the organisation approved is recorded as an exception for that group.",
	"required_collections": ["groups"],
	"reads_items": ["groups"],
}

unified(g) if "Unified" in lib.list(g, ["groupTypes"])

public(g) if lower(lib.str(g, ["visibility"])) == "public"

m365_groups := [g | some g in lib.items("groups"); unified(g)]

public_groups := [lib.evidence("group", g.id, object.get(g, "displayName", g.id), "Microsoft 365 group with Public visibility") |
	some g in m365_groups
	public(g)
]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("fail", sprintf("%d of %d Microsoft 365 groups are public", [count(public_groups), count(m365_groups)]), public_groups) if {
	count(public_groups) > 0
} else := lib.result("pass", sprintf("all %d Microsoft 365 groups are private", [count(m365_groups)]), [])
