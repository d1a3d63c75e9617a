package posture.controls.hybrid_and_groups_test

import data.posture.controls.group_creation_restricted as m365_groups
import data.posture.controls.idle_session_timeout as idle
import data.posture.controls.password_hash_sync as phs
import data.posture.controls.security_group_creation_restricted as security_groups
import data.posture.testing

# --- password hash sync (CIS 5.1.8.1) ---

organization(synced) := {"id": "org-1", "displayName": "Contoso", "onPremisesSyncEnabled": synced}

synchronization(phs_enabled) := {
	"id": "org-1",
	"configuration": {"accidentalDeletionPrevention": {"synchronizationPreventionType": "enabledForCount", "alertThreshold": 500}},
	"features": {"passwordSyncEnabled": phs_enabled, "passwordWritebackEnabled": false},
}

hybrid_doc(sync_items) := testing.doc({
	"organization": testing.ok([organization(true)]),
	"on_premises_synchronization": testing.ok(sync_items),
})

test_hybrid_tenant_with_password_hash_sync_passes if {
	phs.result.status == "pass" with input as hybrid_doc([synchronization(true)])
}

test_hybrid_tenant_without_password_hash_sync_fails_naming_the_configuration if {
	r := phs.result with input as hybrid_doc([synchronization(false)])
	r.status == "fail"
	r.evidence[0].kind == "onPremisesDirectorySynchronization"
	contains(r.evidence[0].detail, "passwordSyncEnabled is false")
}

test_cloud_only_tenant_is_not_applicable_even_without_the_sync_collection if {
	doc := testing.doc({
		"organization": testing.ok([organization(null)]),
		"on_premises_synchronization": testing.missing("403 Authorization_RequestDenied: OnPremDirectorySynchronization.Read.All not granted"),
	})
	phs.result.status == "not_applicable" with input as doc
}

test_hybrid_tenant_with_unreadable_sync_settings_is_an_error if {
	doc := testing.doc({
		"organization": testing.ok([organization(true)]),
		"on_premises_synchronization": testing.missing("403 Authorization_RequestDenied: OnPremDirectorySynchronization.Read.All not granted"),
	})
	r := phs.result with input as doc
	r.status == "error"
	contains(r.reason, "OnPremDirectorySynchronization.Read.All")
}

test_hybrid_tenant_with_no_sync_object_fails if {
	phs.result.status == "fail" with input as hybrid_doc([])
}

test_hostile_sync_items_do_not_break_the_control if {
	phs.result.status == "fail" with input as hybrid_doc(["not an object", synchronization(false)])
	phs.result.status == "not_applicable" with input as testing.doc({"organization": testing.ok(["x"]), "on_premises_synchronization": testing.ok([])})
}

# --- group creation (CIS 5.1.3.x) ---

group_unified(enabled) := {
	"id": "setting-group-unified",
	"displayName": "Group.Unified",
	"templateId": "62375ab9-6b52-47ed-826b-58e47e0e304b",
	"values": [
		{"name": "EnableGroupCreation", "value": enabled},
		{"name": "AllowGuestsToAccessGroups", "value": "true"},
	],
}

test_m365_group_creation_off_passes if {
	m365_groups.result.status == "pass" with input as testing.doc({"directory_settings": testing.ok([group_unified("false")])})
	m365_groups.result.status == "pass" with input as testing.doc({"directory_settings": testing.ok([group_unified("False")])})
}

test_m365_group_creation_on_fails_naming_the_setting if {
	r := m365_groups.result with input as testing.doc({"directory_settings": testing.ok([group_unified("true")])})
	r.status == "fail"
	r.evidence[0].id == "setting-group-unified"
}

test_m365_group_creation_without_a_setting_fails_as_the_default_allows_it if {
	r := m365_groups.result with input as testing.doc({"directory_settings": testing.ok([])})
	r.status == "fail"
	contains(r.reason, "default")
}

test_m365_group_creation_unreadable_settings_is_an_error if {
	m365_groups.result.status == "error" with input as testing.doc({"directory_settings": testing.missing("403 Authorization_RequestDenied: Directory.Read.All not granted")})
}

authorization(create) := {"id": "authorizationPolicy", "displayName": "Authorization Policy", "defaultUserRolePermissions": {"allowedToCreateSecurityGroups": create}}

test_security_group_creation if {
	security_groups.result.status == "pass" with input as testing.doc({"authorization_policy": testing.ok([authorization(false)])})
	r := security_groups.result with input as testing.doc({"authorization_policy": testing.ok([authorization(true)])})
	r.status == "fail"
	r.evidence[0].id == "authorizationPolicy"
	security_groups.result.status == "error" with input as testing.doc({"authorization_policy": testing.missing("403 Authorization_RequestDenied: Policy.Read.All not granted")})
}

# --- idle session timeout (CIS 1.3.2) ---

timeout_policy(timeout) := {
	"id": "timeout-1",
	"displayName": "Idle session timeout",
	"isOrganizationDefault": true,
	"definition": [json.marshal({"ActivityBasedTimeoutPolicy": {"Version": 1, "ApplicationPolicies": [{"ApplicationId": "default", "WebSessionIdleTimeout": timeout}]}})],
}

restrictions_policy := object.union(testing.broad_policy, {
	"id": "ca-app-restrictions",
	"displayName": "App-enforced restrictions",
	"conditions": {"applications": {"includeApplications": ["Office365"]}},
	"sessionControls": {"applicationEnforcedRestrictions": {"isEnabled": true}},
})

idle_doc(timeouts, policies) := testing.doc({
	"activity_based_timeout_policies": testing.ok(timeouts),
	"conditional_access_policies": testing.ok(policies),
})

test_idle_timeout_within_three_hours_with_app_restrictions_passes if {
	idle.result.status == "pass" with input as idle_doc([timeout_policy("01:00:00")], [restrictions_policy])
	idle.result.status == "pass" with input as idle_doc([timeout_policy("03:00:00")], [restrictions_policy])
}

test_idle_timeout_longer_than_three_hours_fails_naming_the_policy if {
	r := idle.result with input as idle_doc([timeout_policy("08:00:00")], [restrictions_policy])
	r.status == "fail"
	r.evidence[0].id == "timeout-1"
	contains(r.evidence[0].detail, "08:00:00")
	idle.result.status == "fail" with input as idle_doc([timeout_policy("1.00:00:00")], [restrictions_policy])
}

test_no_idle_timeout_fails if {
	idle.result.status == "fail" with input as idle_doc([], [restrictions_policy])
}

test_idle_timeout_without_app_enforced_restrictions_fails if {
	r := idle.result with input as idle_doc([timeout_policy("01:00:00")], [])
	r.status == "fail"
	contains(r.reason, "app-enforced restrictions")
	report_only := object.union(restrictions_policy, {"state": "enabledForReportingButNotEnforced"})
	idle.result.status == "fail" with input as idle_doc([timeout_policy("01:00:00")], [report_only])
}

test_unparsable_timeout_definitions_fail_without_breaking if {
	garbage := object.union(timeout_policy("01:00:00"), {"definition": ["{not json", 7]})
	idle.result.status == "fail" with input as idle_doc([garbage], [restrictions_policy])
	odd := timeout_policy("three hours")
	r := idle.result with input as idle_doc([odd], [restrictions_policy])
	r.status == "fail"
	contains(r.reason, "cannot be read")
}

test_idle_timeout_limit_is_a_parameter if {
	doc := object.union(idle_doc([timeout_policy("04:00:00")], [restrictions_policy]), {"parameters": {"idle_session_timeout_hours": 4}})
	idle.result.status == "pass" with input as doc
}

test_idle_timeout_unreadable_collection_is_an_error if {
	doc := testing.doc({"activity_based_timeout_policies": testing.missing("403 Authorization_RequestDenied: Policy.Read.All not granted")})
	idle.result.status == "error" with input as doc
}
