package posture.controls.sessions_and_locations_test

import data.posture.controls.admin_portals_restricted as portals
import data.posture.controls.admin_sign_in_frequency as admin_sessions
import data.posture.controls.authentication_transfer_blocked as transfer
import data.posture.controls.sign_in_frequency_all_users as frequency
import data.posture.controls.trusted_location_defined as trusted
import data.posture.controls.untrusted_locations_blocked as locations
import data.posture.testing

ca(policies) := testing.doc({"conditional_access_policies": testing.ok(policies)})

# --- admin portals (CIS 5.1.2.4) ---

portal_block := object.union(testing.block_policy({
	"users": {"includeUsers": ["All"], "excludeUsers": testing.emergency_accounts, "excludeRoles": testing.privileged_roles},
	"applications": {"includeApplications": ["MicrosoftAdminPortals"]},
}), {"id": "ca-portals", "displayName": "Block admin portals"})

test_portal_block_for_non_admins_passes if {
	r := portals.result with input as ca([portal_block])
	r.status == "pass"
	r.evidence[0].id == "ca-portals"
}

test_report_only_portal_block_fails_with_the_gap if {
	p := object.union(portal_block, {"state": "enabledForReportingButNotEnforced"})
	r := portals.result with input as ca([p])
	r.status == "fail"
	contains(r.evidence[0].detail, "report-only")
}

test_portal_block_excluding_other_users_fails if {
	p := object.union(portal_block, {"conditions": {"users": {"excludeUsers": ["contractor-7"]}}})
	r := portals.result with input as ca([p])
	r.status == "fail"
	contains(r.evidence[0].detail, "contractor-7")
}

test_broad_block_of_legacy_clients_is_not_a_portal_restriction if {
	legacy := testing.block_policy({"clientAppTypes": ["exchangeActiveSync", "other"]})
	portals.result.status == "fail" with input as ca([legacy])
	conditional := object.union(portal_block, {"conditions": {"clientAppTypes": ["browser"]}})
	r := portals.result with input as ca([conditional])
	r.status == "fail"
	contains(r.evidence[0].detail, "conditions")
}

test_portals_unreadable_policies_is_an_error if {
	portals.result.status == "error" with input as testing.doc({"conditional_access_policies": testing.missing("403 Authorization_RequestDenied: Policy.Read.All not granted")})
}

# --- administrators' sessions (CIS 5.2.2.4) ---

admin_session(hours, persistent) := object.union(testing.broad_policy, {
	"id": "ca-admin-sessions",
	"displayName": "Admin sessions",
	"conditions": {"users": {"includeUsers": [], "includeRoles": testing.privileged_roles, "excludeUsers": testing.emergency_accounts}},
	"sessionControls": {
		"signInFrequency": {"isEnabled": true, "value": hours, "type": "hours", "frequencyInterval": "timeBased"},
		"persistentBrowser": persistent,
	},
})

never := {"isEnabled": true, "mode": "never"}

test_admin_sessions_of_four_hours_without_persistence_pass if {
	admin_sessions.result.status == "pass" with input as ca([admin_session(4, never)])
}

test_admin_sessions_of_a_day_fail_naming_policy_and_roles if {
	r := admin_sessions.result with input as ca([admin_session(24, never)])
	r.status == "fail"
	some e in r.evidence
	e.id == "ca-admin-sessions"
	contains(e.detail, "sign-in frequency 24 hours")
	some role in r.evidence
	role.kind == "directoryRole"
}

test_admin_sessions_with_persistent_browser_allowed_fail if {
	r := admin_sessions.result with input as ca([admin_session(4, {"isEnabled": true, "mode": "always"})])
	r.status == "fail"
	contains(r.evidence[0].detail, "persistent browser")
	admin_sessions.result.status == "fail" with input as ca([admin_session(4, null)])
}

test_admin_session_policy_missing_a_role_fails if {
	p := object.union(admin_session(4, never), {"conditions": {"users": {"includeRoles": [testing.global_admin]}}})
	r := admin_sessions.result with input as ca([p])
	r.status == "fail"
	some e in r.evidence
	e.id == testing.user_admin
}

test_admin_session_limit_is_a_parameter if {
	d := object.union(ca([admin_session(8, never)]), {"parameters": {"admin_sign_in_frequency_hours": 8}})
	admin_sessions.result.status == "pass" with input as d
}

test_every_time_counts_as_within_the_limit if {
	p := object.union(admin_session(4, never), {"sessionControls": {"signInFrequency": {"frequencyInterval": "everyTime", "value": null, "type": null}}})
	admin_sessions.result.status == "pass" with input as ca([p])
}

# --- sign-in frequency for all users (CIS 5.2.2.13) ---

all_users_frequency := object.union(testing.broad_policy, {
	"id": "ca-frequency",
	"displayName": "Session limits",
	"sessionControls": {"signInFrequency": {"isEnabled": true, "value": 12, "type": "hours", "frequencyInterval": "timeBased"}},
})

test_broad_sign_in_frequency_passes if {
	frequency.result.status == "pass" with input as ca([all_users_frequency])
}

test_sign_in_frequency_for_admins_only_fails if {
	r := frequency.result with input as ca([admin_session(4, never)])
	r.status == "fail"
	r.evidence[0].id == "ca-admin-sessions"
}

test_sign_in_frequency_with_excluded_users_is_a_cis_exception_to_review if {
	p := object.union(all_users_frequency, {"conditions": {"users": {"excludeUsers": ["contractor-7"]}}})
	r := frequency.result with input as ca([p])
	r.status == "warning"
	some e in r.evidence
	e.id == "contractor-7"
}

test_no_session_controls_fails if {
	frequency.result.status == "fail" with input as ca([testing.broad_policy])
}

# --- trusted named location (CIS 5.2.2.14) ---

ip_location(id, is_trusted) := {
	"@odata.type": "#microsoft.graph.ipNamedLocation",
	"id": id,
	"displayName": sprintf("Office %s", [id]),
	"isTrusted": is_trusted,
	"ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "203.0.113.0/24"}],
}

country_location := {
	"@odata.type": "#microsoft.graph.countryNamedLocation",
	"id": "loc-countries",
	"displayName": "Blocked countries",
	"countriesAndRegions": ["KP"],
	"includeUnknownCountriesAndRegions": true,
}

locations_doc(items, policies) := testing.doc({"named_locations": testing.ok(items), "conditional_access_policies": testing.ok(policies)})

test_trusted_ip_location_passes if {
	r := trusted.result with input as locations_doc([ip_location("loc-1", true), country_location], [])
	r.status == "pass"
	r.evidence[0].id == "loc-1"
}

test_untrusted_ip_location_fails_naming_it if {
	r := trusted.result with input as locations_doc([ip_location("loc-1", false), country_location], [])
	r.status == "fail"
	r.evidence[0].id == "loc-1"
	trusted.result.status == "fail" with input as locations_doc([], [])
}

test_trusted_location_without_ranges_fails if {
	empty := object.union(ip_location("loc-1", true), {"ipRanges": []})
	trusted.result.status == "fail" with input as locations_doc([empty], [])
}

# --- untrusted locations blocked (CIS 5.2.2.15) ---

country_block := object.union(testing.block_policy({
	"users": {"includeUsers": ["All"], "excludeUsers": testing.emergency_accounts},
	"locations": {"includeLocations": ["loc-countries"], "excludeLocations": []},
}), {"id": "ca-countries"})

test_blocking_a_country_location_passes if {
	locations.result.status == "pass" with input as locations_doc([country_location], [country_block])
}

test_blocking_everything_but_trusted_locations_passes if {
	p := object.union(country_block, {"conditions": {"locations": {"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]}}})
	locations.result.status == "pass" with input as locations_doc([country_location], [p])
}

test_location_block_in_report_only_fails if {
	p := object.union(country_block, {"state": "enabledForReportingButNotEnforced"})
	r := locations.result with input as locations_doc([country_location], [p])
	r.status == "fail"
	r.evidence[0].id == "ca-countries"
}

test_unknown_location_id_and_no_policy_fail if {
	locations.result.status == "fail" with input as locations_doc([], [country_block])
	locations.result.status == "fail" with input as locations_doc([country_location], [])
}

test_locations_unreadable_is_an_error if {
	d := testing.doc({"named_locations": testing.missing("403 Authorization_RequestDenied: Policy.Read.All not granted")})
	locations.result.status == "error" with input as d
	trusted.result.status == "error" with input as d
}

# --- authentication transfer (CIS 5.2.2.17) ---

transfer_block(methods) := object.union(testing.block_policy({
	"users": {"includeUsers": ["All"], "excludeUsers": testing.emergency_accounts},
	"authenticationFlows": {"transferMethods": methods},
}), {"id": "ca-flows"})

test_authentication_transfer_blocked_passes if {
	transfer.result.status == "pass" with input as ca([transfer_block("deviceCodeFlow,authenticationTransfer")])
	transfer.result.status == "pass" with input as ca([transfer_block("authenticationTransfer")])
}

test_device_code_only_does_not_block_transfer if {
	transfer.result.status == "fail" with input as ca([transfer_block("deviceCodeFlow")])
}

test_transfer_block_for_some_users_fails_with_evidence if {
	p := object.union(transfer_block("authenticationTransfer"), {"conditions": {"users": {"includeUsers": ["alice"]}}})
	r := transfer.result with input as ca([p])
	r.status == "fail"
	r.evidence[0].id == "ca-flows"
}
