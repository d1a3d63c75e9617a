package posture.controls.emergency_access_accounts_test

import data.posture.controls.emergency_access_accounts as control
import data.posture.testing

users := [testing.member_fact("ea-0001", {}), testing.member_fact("ea-0002", {}), testing.member_fact("alice", {})]

excluding_policy := object.union(testing.broad_policy, {
	"grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
	"conditions": {"users": {"excludeUsers": testing.emergency_accounts}},
})

doc(members, policies) := object.union(testing.accounts(members, []), {"collections": {"conditional_access_policies": testing.ok(policies)}})

test_two_cloud_only_accounts_excluded_everywhere_pass if {
	r := control.result with input as doc(users, [excluding_policy])
	r.status == "pass"
	{e.id | some e in r.evidence} == {"ea-0001", "ea-0002"}
}

test_a_policy_that_does_not_exclude_them_fails_naming_it if {
	p := object.union(excluding_policy, {"id": "ca-new", "displayName": "New policy", "conditions": {"users": {"excludeUsers": ["ea-0001"]}}})
	r := control.result with input as doc(users, [excluding_policy, p])
	r.status == "fail"
	some e in r.evidence
	e.id == "ca-new"
	contains(e.detail, "ea-0002")
}

test_exclusion_through_an_emergency_access_group_counts if {
	p := object.union(testing.broad_policy, {"conditions": {"users": {"excludeUsers": [], "excludeGroups": ["g-breakglass"]}}})
	d := object.union(doc(users, [p]), {"derived": {"emergency_access_groups": ["g-breakglass"]}})
	control.result.status == "pass" with input as d
}

test_role_policy_applies_to_an_account_holding_the_role if {
	p := object.union(testing.broad_policy, {"id": "ca-admins", "conditions": {"users": {"includeUsers": [], "includeRoles": [testing.global_admin]}}})
	d := object.union(doc(users, [p]), {"derived": {"role_members": [testing.member("ea-0001", testing.global_admin, "active")]}})
	r := control.result with input as d
	r.status == "fail"
	r.evidence[0].id == "ca-admins"
	count(r.evidence) == 1
}

test_disabled_policies_do_not_count if {
	p := object.union(testing.broad_policy, {"state": "disabled"})
	control.result.status == "pass" with input as doc(users, [p])
}

test_fewer_than_two_accounts_fail if {
	d := object.union(doc(users, []), {"tenant": {"emergency_access_accounts": ["ea-0001"]}})
	r := control.result with input as d
	r.status == "fail"
	contains(r.reason, "1 emergency-access accounts declared")
	d2 := object.union(doc(users, []), {"tenant": {"emergency_access_accounts": []}})
	control.result.status == "fail" with input as d2
}

test_synced_disabled_or_unknown_accounts_fail if {
	synced := object.union(doc(users, []), {"derived": {"privileged_users": {"ea-0001": {
		"id": "ea-0001",
		"user": testing.user("ea-0001", {"onPremisesSyncEnabled": true}),
		"registration": null,
		"roles": [testing.global_admin],
		"assignments": ["active"],
	}}}})
	r := control.result with input as synced
	r.status == "fail"
	contains(r.evidence[0].detail, "cloud-only")
	r2 := control.result with input as doc([testing.member_fact("ea-0001", {})], [])
	r2.status == "fail"
	r2.evidence[0].id == "ea-0002"
	contains(r2.evidence[0].detail, "not an enabled member account")
}

test_unreadable_users_is_an_error if {
	d := testing.doc({"users": testing.missing("403 Authorization_RequestDenied: User.Read.All not granted")})
	control.result.status == "error" with input as d
}
