package posture.controls.apps_test

import data.posture.controls.apps_certificate_lifetime_limited as cert_lifetime
import data.posture.controls.apps_expiring_credentials as expiring
import data.posture.controls.apps_long_lived_secrets as long_lived
import data.posture.controls.apps_over_privileged as over
import data.posture.controls.apps_password_credentials_blocked as passwords_blocked
import data.posture.controls.apps_password_lifetime_limited as password_lifetime
import data.posture.controls.apps_unowned as unowned
import data.posture.lib
import data.posture.testing

# testing.base's now is 2026-06-01T00:00:00Z.
secret(key, start, end) := {
	"keyId": key,
	"displayName": "client secret",
	"hint": "Q~x",
	"startDateTime": start,
	"endDateTime": end,
	"customKeyIdentifier": null,
	"secretText": null,
}

certificate(key, start, end) := {
	"keyId": key,
	"displayName": "CN=app",
	"type": "AsymmetricX509Cert",
	"usage": "Verify",
	"key": null,
	"startDateTime": start,
	"endDateTime": end,
}

app(id, secrets, certificates, owners) := {
	"id": id,
	"appId": sprintf("client-%s", [id]),
	"displayName": sprintf("App %s", [id]),
	"passwordCredentials": secrets,
	"keyCredentials": certificates,
	"owners": owners,
}

owner := {"@odata.type": "#microsoft.graph.user", "id": "u1", "displayName": "Ada", "userPrincipalName": "ada@contoso.example"}

# A certificate of 180 days with 120 left and a secret of 90 days with 60 left.
healthy := [
	app("a1", [], [certificate("k1", "2026-04-02T00:00:00Z", "2026-09-29T00:00:00Z")], [owner]),
	app("a2", [secret("k2", "2026-05-02T00:00:00Z", "2026-07-31T00:00:00Z")], [], [owner]),
]

with_apps(apps) := testing.doc({"applications": testing.ok(apps)})

evidence_ids(r) := {e.id | some e in r.evidence}

test_healthy_credentials_pass if {
	expiring.result.status == "pass" with input as with_apps(healthy)
	long_lived.result.status == "pass" with input as with_apps(healthy)
	unowned.result.status == "pass" with input as with_apps(healthy)
}

test_secret_expiring_within_30_days_fails_with_hint_and_days_left if {
	apps := array.concat(healthy, [app("a3", [secret("k3", "2025-12-03T00:00:00Z", "2026-06-15T00:00:00Z")], [], [owner])])
	r := expiring.result with input as with_apps(apps)
	r.status == "fail"
	evidence_ids(r) == {"a3"}
	contains(r.evidence[0].detail, "expires in 14 days")
	contains(r.evidence[0].detail, "hint Q~x")
	contains(r.evidence[0].detail, "keyId k3")
}

test_expired_certificate_fails_with_days_since if {
	apps := [app("a4", [], [certificate("k4", "2024-06-01T00:00:00Z", "2026-05-01T00:00:00Z")], [owner])]
	r := expiring.result with input as with_apps(apps)
	r.status == "fail"
	contains(r.evidence[0].detail, "expired 31 days ago")
}

test_expiry_window_is_a_parameter if {
	apps := [app("a5", [secret("k5", "2026-05-01T00:00:00Z", "2026-07-31T00:00:00Z")], [], [owner])]
	expiring.result.status == "pass" with input as with_apps(apps)
	expiring.result.status == "fail" with input as object.union(with_apps(apps), {"parameters": {"app_credential_expiry_days": 90}})
}

test_no_credentials_is_not_applicable if {
	expiring.result.status == "not_applicable" with input as with_apps([app("a6", [], [], [owner])])
}

test_unreadable_applications_are_an_error_naming_the_permission if {
	doc := testing.doc({"applications": testing.missing("403 Authorization_RequestDenied: Application.Read.All not granted")})
	r := expiring.result with input as doc
	r.status == "error"
	contains(r.reason, "Application.Read.All")
	long_lived.result.status == "error" with input as doc
	unowned.result.status == "error" with input as doc
}

test_secret_over_180_days_and_certificate_over_365_fail if {
	apps := [
		app("b1", [secret("s1", "2025-06-01T00:00:00Z", "2026-12-01T00:00:00Z")], [], [owner]),
		app("b2", [], [certificate("c2", "2025-01-01T00:00:00Z", "2027-01-01T00:00:00Z")], [owner]),
		app("b3", [secret("s3", "2026-01-01T00:00:00Z", "2026-06-30T00:00:00Z")], [certificate("c3", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z")], [owner]),
	]
	r := long_lived.result with input as with_apps(apps)
	r.status == "fail"
	evidence_ids(r) == {"b1", "b2"}
	some e in r.evidence
	e.id == "b1"
	contains(e.detail, "valid for 548 days")
}

test_unowned_app_fails_and_unexpanded_owners_are_an_error if {
	r := unowned.result with input as with_apps(array.concat(healthy, [app("c1", [], [], [])]))
	r.status == "fail"
	evidence_ids(r) == {"c1"}
	unknown := object.remove(app("c2", [], [], []), ["owners"])
	unowned.result.status == "error" with input as with_apps([unknown])
}

# --- over-privileged -------------------------------------------------------------------------------

graph_sp := {
	"id": "graph-sp",
	"appId": "00000003-0000-0000-c000-000000000000",
	"displayName": "Microsoft Graph",
	"appOwnerOrganizationId": "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
	"appRoles": [
		{"id": "df021288-bdef-4463-88db-98f22de89214", "value": "User.Read.All"},
		{"id": "e2a3a72e-5f79-4c64-b1b1-878b674786c9", "value": "Mail.ReadWrite"},
		{"id": "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8", "value": "RoleManagement.ReadWrite.Directory"},
	],
}

sp(id, org) := {"id": id, "appId": sprintf("client-%s", [id]), "displayName": sprintf("SP %s", [id]), "appOwnerOrganizationId": org}

grant(principal, role) := {
	"id": sprintf("%s-%s", [principal, role]),
	"appRoleId": role,
	"principalId": principal,
	"principalType": "ServicePrincipal",
	"resourceId": "graph-sp",
	"resourceDisplayName": "Microsoft Graph",
}

with_grants(sps, grants) := testing.doc({
	"service_principals": testing.ok(array.concat([graph_sp], sps)),
	"graph_app_role_assignments": testing.ok(grants),
})

tenant := "00000000-0000-0000-0000-0000000000aa"

test_read_only_grants_pass if {
	r := over.result with input as with_grants([sp("hr", tenant)], [grant("hr", "df021288-bdef-4463-88db-98f22de89214")])
	r.status == "pass"
}

test_mail_read_write_on_own_app_fails_naming_app_and_permission if {
	r := over.result with input as with_grants([sp("mkt", tenant)], [grant("mkt", "e2a3a72e-5f79-4c64-b1b1-878b674786c9")])
	r.status == "fail"
	evidence_ids(r) == {"mkt"}
	contains(r.evidence[0].detail, "Mail.ReadWrite")
	contains(r.evidence[0].detail, "this tenant")
	contains(r.reason, "SP mkt (Mail.ReadWrite)")
}

test_third_party_grant_resolved_by_published_id_without_graph_app_roles if {
	doc := testing.doc({
		"service_principals": testing.ok([sp("vendor", "7d3c1f0e-5b2a-4c8d-9e6f-0a1b2c3d4e5f")]),
		"graph_app_role_assignments": testing.ok([grant("vendor", "a82116e5-55eb-4c41-a434-62fe8a61c773")]),
	})
	r := over.result with input as doc
	r.status == "fail"
	contains(r.evidence[0].detail, "Sites.FullControl.All")
	contains(r.evidence[0].detail, "third party")
}

test_microsoft_first_party_grants_are_out_of_scope if {
	ms := sp("exo", "f8cdef31-a31e-4b4a-93e4-5f571e91255a")
	over.result.status == "pass" with input as with_grants([ms], [grant("exo", "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8")])
}

test_missing_grants_are_an_error if {
	doc := testing.doc({
		"service_principals": testing.ok([graph_sp]),
		"graph_app_role_assignments": testing.missing("403 Authorization_RequestDenied: Application.Read.All not granted"),
	})
	over.result.status == "error" with input as doc
}

# --- default app management policy -------------------------------------------------------------

policy(enabled, passwords, keys) := {
	"id": "00000000-0000-0000-0000-000000000000",
	"displayName": "Default app management tenant policy",
	"isEnabled": enabled,
	"applicationRestrictions": {"passwordCredentials": passwords, "keyCredentials": keys},
	"servicePrincipalRestrictions": {"passwordCredentials": [], "keyCredentials": []},
}

restriction(type, state, max) := {"restrictionType": type, "state": state, "maxLifetime": max, "restrictForAppsCreatedAfterDateTime": "2024-01-01T00:00:00Z"}

strict := policy(
	true,
	[restriction("passwordAddition", "enabled", null), restriction("passwordLifetime", "enabled", "P180D")],
	[restriction("asymmetricKeyLifetime", "enabled", "P365D")],
)

with_policy(p) := testing.doc({"default_app_management_policy": testing.ok([p])})

test_strict_policy_passes_all_three if {
	passwords_blocked.result.status == "pass" with input as with_policy(strict)
	password_lifetime.result.status == "pass" with input as with_policy(strict)
	cert_lifetime.result.status == "pass" with input as with_policy(strict)
}

test_tenant_default_fails_all_three_naming_the_policy if {
	unset := policy(false, [], [])
	r := passwords_blocked.result with input as with_policy(unset)
	r.status == "fail"
	r.evidence[0].id == "00000000-0000-0000-0000-000000000000"
	contains(r.evidence[0].detail, "not enabled")
	password_lifetime.result.status == "fail" with input as with_policy(unset)
	cert_lifetime.result.status == "fail" with input as with_policy(unset)
}

test_restrictions_of_a_disabled_policy_do_not_count if {
	p := object.union(strict, {"isEnabled": false})
	passwords_blocked.result.status == "fail" with input as with_policy(p)
	cert_lifetime.result.status == "fail" with input as with_policy(p)
}

test_lifetimes_over_the_limits_fail_with_the_value if {
	p := policy(true, [restriction("passwordLifetime", "enabled", "P1Y")], [restriction("asymmetricKeyLifetime", "enabled", "P2Y")])
	r := password_lifetime.result with input as with_policy(p)
	r.status == "fail"
	contains(r.evidence[0].detail, "P1Y")
	cert_lifetime.result.status == "fail" with input as with_policy(p)
	passwords_blocked.result.status == "fail" with input as with_policy(p)
}

test_blocked_passwords_make_the_lifetime_moot if {
	p := policy(true, [restriction("passwordAddition", "enabled", null)], [])
	password_lifetime.result.status == "pass" with input as with_policy(p)
}

test_disabled_restriction_does_not_count if {
	p := policy(true, [restriction("passwordLifetime", "disabled", "P90D")], [restriction("asymmetricKeyLifetime", "disabled", "P90D")])
	password_lifetime.result.status == "fail" with input as with_policy(p)
	cert_lifetime.result.status == "fail" with input as with_policy(p)
}

test_unsynced_policy_is_an_error if {
	password_lifetime.result.status == "error" with input as testing.doc({})
}

test_iso_durations if {
	lib.duration_days("P180D") == 180
	lib.duration_days("P1Y") == 365
	lib.duration_days("P6M") == 180
	lib.duration_days("P2W") == 14
	lib.duration_days("P180DT12H") == 180.5
	lib.duration_days("PT36H") == 1.5
	not lib.duration_days("180 days")
	not lib.duration_days("P")
}
