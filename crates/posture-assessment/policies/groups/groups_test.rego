package posture.controls.groups_test

import data.posture.controls.groups_private as private_groups
import data.posture.controls.guest_dynamic_group as guest_group
import data.posture.testing

group(id, extra) := object.union({
	"id": id,
	"displayName": sprintf("Group %s", [id]),
	"groupTypes": [],
	"visibility": null,
	"membershipRule": null,
	"membershipRuleProcessingState": null,
	"securityEnabled": true,
	"mailEnabled": false,
}, extra)

m365(id, visibility) := group(id, {"groupTypes": ["Unified"], "visibility": visibility, "mailEnabled": true, "securityEnabled": false})

with_groups(groups) := testing.doc({"groups": testing.ok(groups)})

# --- CIS 1.2.1 ---------------------------------------------------------------------------------------

test_private_microsoft_365_groups_pass if {
	r := private_groups.result with input as with_groups([m365("g1", "Private"), m365("g2", "HiddenMembership")])
	r.status == "pass"
}

test_public_microsoft_365_groups_fail_and_are_named if {
	r := private_groups.result with input as with_groups([m365("g1", "Private"), m365("g2", "Public"), m365("g3", "public")])
	r.status == "fail"
	{e.id | some e in r.evidence} == {"g2", "g3"}
	contains(r.reason, "2 of 3")
}

test_a_public_security_group_is_not_a_microsoft_365_group if {
	r := private_groups.result with input as with_groups([group("g1", {"visibility": "Public"})])
	r.status == "pass"
}

test_groups_not_synced_is_an_error if {
	r := private_groups.result with input as testing.doc({"groups": testing.missing("403 Authorization_RequestDenied: GroupMember.Read.All not granted")})
	r.status == "error"
	contains(r.reason, "GroupMember.Read.All")
}

# --- CIS 5.1.3.1 -------------------------------------------------------------------------------------

dynamic_guests(id, rule, state) := group(id, {
	"groupTypes": ["DynamicMembership"],
	"membershipRule": rule,
	"membershipRuleProcessingState": state,
})

test_a_dynamic_guest_group_passes if {
	r := guest_group.result with input as with_groups([dynamic_guests("g1", "(user.userType -eq \"Guest\")", "On")])
	r.status == "pass"
	[e.id | some e in r.evidence] == ["g1"]
}

test_the_rule_is_read_in_any_case_and_quote if {
	r := guest_group.result with input as with_groups([dynamic_guests("g1", "user.usertype  -eq 'guest'", null)])
	r.status == "pass"
}

test_no_dynamic_guest_group_fails if {
	groups := [
		dynamic_guests("g1", "(user.department -eq \"Sales\")", "On"),
		group("g2", {"membershipRule": "(user.userType -eq \"Guest\")"}),
	]
	r := guest_group.result with input as with_groups(groups)
	r.status == "fail"
	r.evidence == []
}

test_a_paused_guest_group_fails_and_is_named if {
	r := guest_group.result with input as with_groups([dynamic_guests("g1", "(user.userType -eq \"Guest\")", "Paused")])
	r.status == "fail"
	[e.id | some e in r.evidence] == ["g1"]
}

test_guest_group_without_groups_is_an_error if {
	r := guest_group.result with input as testing.doc({"groups": testing.missing("not synced")})
	r.status == "error"
}
