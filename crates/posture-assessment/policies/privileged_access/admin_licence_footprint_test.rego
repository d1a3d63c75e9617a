package posture.controls.admin_licence_footprint_test

import data.posture.controls.admin_licence_footprint as control
import data.posture.testing

e5 := "06ebc4ee-1bb5-47dd-8120-11324bc54e06"

p2 := "84a661c4-e949-4bd2-a560-ed7766fcaf2b"

skus := testing.ok([
	{"skuId": e5, "skuPartNumber": "SPE_E5", "capabilityStatus": "Enabled", "servicePlans": []},
	{"skuId": p2, "skuPartNumber": "AAD_PREMIUM_P2", "capabilityStatus": "Enabled", "servicePlans": []},
])

admin(id, licences, via) := {id: {
	"id": id,
	"user": testing.user(id, {"assignedLicenses": [{"skuId": s, "disabledPlans": []} | some s in licences]}),
	"registration": null,
	"roles": [testing.global_admin],
	"assignments": ["active"],
	"via_groups": via,
}}

doc(users) := testing.doc_with({"collections": {"subscribed_skus": skus}, "derived": {"privileged_users": users}})

test_unlicensed_and_entra_only_admins_pass if {
	users := object.union(admin("a1", [], []), admin("a2", [p2], []))
	r := control.result with input as doc(users)
	r.status == "pass"
}

test_an_admin_with_a_productivity_suite_fails_and_is_named if {
	users := object.union(admin("a1", [p2], []), admin("a2", [e5, p2], []))
	r := control.result with input as doc(users)
	r.status == "fail"
	[e.id | some e in r.evidence] == ["a2"]
	contains(r.evidence[0].detail, "SPE_E5")
	not contains(r.evidence[0].detail, "AAD_PREMIUM_P2")
}

test_an_admin_through_a_group_fails_and_the_group_is_named if {
	r := control.result with input as doc(admin("a3", [e5], ["g-tier0"]))
	r.status == "fail"
	contains(r.evidence[0].detail, "through group g-tier0")
}

test_a_licence_the_tenant_does_not_list_is_not_assumed_reduced if {
	r := control.result with input as doc(admin("a4", ["00000000-0000-0000-0000-00000000beef"], []))
	r.status == "fail"
	contains(r.evidence[0].detail, "unknown SKU")
}

test_unknown_group_members_are_an_error if {
	group := object.union(testing.member("g1", testing.global_admin, "active"), {"principal_type": "group", "members_known": false})
	d := testing.doc_with({"collections": {"subscribed_skus": skus}, "derived": {"role_members": [group]}})
	r := control.result with input as d
	r.status == "error"
	contains(r.reason, "g1")
}

test_licences_unreadable_is_an_error if {
	r := control.result with input as testing.doc_with(testing.licences_unknown)
	r.status == "error"
	contains(r.reason, "Organization.Read.All")
}
