package posture.groups_lib_test

import data.posture.grouplib
import data.posture.testing

group_member(group, role) := object.union(testing.member(group, role, "active"), {
	"principal_type": "group",
	"members_known": false,
})

test_a_privileged_group_without_members_is_an_error if {
	doc := testing.doc_with({"derived": {"role_members": [group_member("g1", testing.global_admin)]}})
	r := grouplib.group_expansion_error with input as doc
	r.status == "error"
	contains(r.reason, "g1")
	contains(r.reason, "group_transitive_members: not synced")
}

test_a_group_with_a_role_outside_the_privileged_ones_is_no_error if {
	doc := testing.doc_with({"derived": {"role_members": [group_member("g1", "729827e3-9c14-49f7-bb1b-9608f156bbb8")]}})
	not grouplib.group_expansion_error with input as doc
}

test_a_synced_group_missing_from_the_members_is_named_so if {
	doc := testing.doc_with({
		"collections": {"group_transitive_members": testing.ok([])},
		"derived": {"role_members": [group_member("g1", testing.global_admin)]},
	})
	r := grouplib.group_expansion_error with input as doc
	contains(r.reason, "not among those whose members were synced")
}

test_held_through_names_the_groups if {
	grouplib.held_through({"via_groups": ["g2", "g1"]}) == " (through group g1, g2)"
	grouplib.held_through({"via_groups": []}) == ""
	grouplib.held_through({}) == ""
}
