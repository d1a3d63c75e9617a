package posture.controls.admins_cloud_only_test

import data.posture.controls.admins_cloud_only as control
import data.posture.testing

privileged(id, user) := {id: {"id": id, "user": user, "registration": null, "roles": [testing.global_admin], "assignments": ["active"]}}

test_passes_when_privileged_users_are_cloud_only if {
	doc := testing.doc_with({"derived": {"privileged_users": privileged("a1", testing.user("a1", {}))}})
	control.result.status == "pass" with input as doc
}

test_fails_for_a_synced_admin_and_names_it if {
	synced := testing.user("a2", {"onPremisesSyncEnabled": true, "onPremisesImmutableId": "aW1tdXRhYmxl"})
	users := object.union(privileged("a1", testing.user("a1", {})), privileged("a2", synced))
	r := control.result with input as testing.doc_with({"derived": {"privileged_users": users}})
	r.status == "fail"
	[e.id | some e in r.evidence] == ["a2"]
	contains(r.evidence[0].detail, "Global Administrator")
}

test_immutable_id_alone_marks_an_account_as_synced if {
	u := testing.user("a3", {"onPremisesImmutableId": "aW1tdXRhYmxl"})
	control.result.status == "fail" with input as testing.doc_with({"derived": {"privileged_users": privileged("a3", u)}})
}

test_error_when_users_could_not_be_read if {
	r := control.result with input as testing.doc({"users": testing.missing("403 Authorization_RequestDenied: User.Read.All not granted")})
	r.status == "error"
	contains(r.reason, "User.Read.All")
}

test_a_synced_admin_through_a_group_fails_and_the_group_is_named if {
	synced := testing.user("a4", {"onPremisesSyncEnabled": true})
	users := {"a4": {"id": "a4", "user": synced, "registration": null, "roles": [testing.global_admin], "assignments": ["active"], "via_groups": ["g-tier0"]}}
	r := control.result with input as testing.doc_with({"derived": {"privileged_users": users}})
	r.status == "fail"
	contains(r.evidence[0].detail, "through group g-tier0")
}

test_error_when_a_privileged_groups_members_are_unknown if {
	group := object.union(testing.member("g1", testing.global_admin, "active"), {"principal_type": "group", "members_known": false})
	r := control.result with input as testing.doc_with({"derived": {"role_members": [group]}})
	r.status == "error"
	contains(r.reason, "g1")
}
