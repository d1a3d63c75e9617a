package posture.controls.legacy_auth_blocked_test

import data.posture.controls.legacy_auth_blocked as control
import data.posture.testing

legacy_block := testing.block_policy({"clientAppTypes": ["exchangeActiveSync", "other"]})

test_passes_when_broad_policy_blocks_both_legacy_client_types if {
	control.result.status == "pass" with input as testing.doc({"conditional_access_policies": testing.ok([legacy_block])})
}

test_fails_when_only_exchange_active_sync_is_blocked if {
	p := testing.block_policy({"clientAppTypes": ["exchangeActiveSync"]})
	control.result.status == "fail" with input as testing.doc({"conditional_access_policies": testing.ok([p])})
}

test_fails_when_legacy_policy_grants_mfa_instead_of_blocking if {
	p := object.union(legacy_block, {"grantControls": {"builtInControls": ["mfa"]}})
	control.result.status == "fail" with input as testing.doc({"conditional_access_policies": testing.ok([p])})
}

test_fails_when_policy_is_disabled_and_lists_it_as_evidence if {
	p := object.union(legacy_block, {"state": "disabled"})
	r := control.result with input as testing.doc({"conditional_access_policies": testing.ok([p])})
	r.status == "fail"
	count(r.evidence) == 1
	contains(r.evidence[0].detail, "disabled")
}

test_fails_when_a_non_emergency_group_is_excluded if {
	p := object.union(legacy_block, {"conditions": {"users": {"excludeGroups": ["group-sales"]}}})
	control.result.status == "fail" with input as testing.doc({"conditional_access_policies": testing.ok([p])})
}

test_group_holding_only_emergency_accounts_may_be_excluded if {
	p := object.union(legacy_block, {"conditions": {"users": {"excludeGroups": ["group-breakglass"]}}})
	control.result.status == "pass" with input as testing.doc_with({
		"collections": {"conditional_access_policies": testing.ok([p])},
		"derived": {"emergency_access_groups": ["group-breakglass"]},
	})
}

test_error_when_policies_could_not_be_read if {
	r := control.result with input as testing.doc({"conditional_access_policies": testing.missing("403 Authorization_RequestDenied: Policy.Read.All not granted")})
	r.status == "error"
	contains(r.reason, "Policy.Read.All")
}

test_fails_when_the_block_applies_to_one_platform_only if {
	p := object.union(legacy_block, {"conditions": {"platforms": {"includePlatforms": ["android"], "excludePlatforms": []}}})
	r := control.result with input as testing.doc({"conditional_access_policies": testing.ok([p])})
	r.status == "fail"
	contains(r.evidence[0].detail, "applies only to platforms android")
}

test_passes_when_the_platform_condition_includes_all if {
	p := object.union(legacy_block, {"conditions": {"platforms": {"includePlatforms": ["all"], "excludePlatforms": []}}})
	control.result.status == "pass" with input as testing.doc({"conditional_access_policies": testing.ok([p])})
}
