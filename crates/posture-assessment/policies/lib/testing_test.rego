# Fixtures shared by the pack's unit tests: a tenant document with every collection present and
# Graph-shaped objects to vary per test. Only loaded by the test runner (the *_test.rego suffix).
package posture.testing

emergency_accounts := ["ea-0001", "ea-0002"]

global_admin := "62e90394-69f5-4237-9190-012177145e10"

user_admin := "fe930be7-5e62-47db-91af-98c3a49a38b1"

privileged_roles := [
	"62e90394-69f5-4237-9190-012177145e10",
	"e8611ab8-c189-46e8-94e1-60213ab1f814",
	"fe930be7-5e62-47db-91af-98c3a49a38b1",
	"f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
	"29232cdf-9323-42fd-ade2-1d097af3e4de",
	"8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
	"9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
	"158c047a-c907-4556-b7ef-446551a6b5f7",
]

ok(items) := {"status": "ok", "items": items}

missing(reason) := {"status": "missing", "reason": reason, "items": []}

all_collections := {
	"users": ok([]),
	"user_registration_details": ok([]),
	"conditional_access_policies": ok([]),
	"named_locations": ok([]),
	"role_assignments": ok([]),
	"role_definitions": ok([]),
	"role_eligibility_instances": ok([]),
	"role_assignment_instances": ok([]),
	"authorization_policy": ok([]),
	"organization": ok([]),
	"subscribed_skus": ok([]),
	"groups": ok([]),
	"authentication_methods_policy": ok([]),
	"domains": ok([]),
	"directory_settings": ok([]),
	"sharepoint_settings": ok([]),
}

base := {
	"tenant": {
		"id": "00000000-0000-0000-0000-0000000000aa",
		"display_name": "Contoso",
		"emergency_access_accounts": emergency_accounts,
		"licences": {"known": true, "p1": true, "p2": true, "intune": true, "defender": false},
	},
	"collections": all_collections,
	"derived": {
		"privileged_role_template_ids": privileged_roles,
		"role_members": [],
		"privileged_users": {},
		"emergency_access_groups": [],
		"accounts": {"sign_in_activity_synced": true, "members": [], "guests": []},
	},
	"parameters": {
		"stale_days": 90,
		"guest_stale_days": 90,
		"guest_pending_days": 30,
		"mfa_coverage_threshold": 0.95,
	},
	"now": "2026-06-01T00:00:00Z",
}

# A document whose listed collections replace the defaults.
doc(collections) := object.union(base, {"collections": collections})

# A document with any part replaced (objects merge recursively).
doc_with(overrides) := object.union(base, overrides)

without_p2 := {"tenant": {"licences": {"p2": false}}}

licences_unknown := {
	"tenant": {"licences": {"known": false, "p1": false, "p2": false}},
	"collections": {"subscribed_skus": missing("403 Authorization_RequestDenied: Organization.Read.All not granted")},
}

broad_policy := {
	"id": "11111111-0000-0000-0000-000000000001",
	"displayName": "Baseline policy",
	"state": "enabled",
	"conditions": {
		"users": {
			"includeUsers": ["All"],
			"excludeUsers": [],
			"includeGroups": [],
			"excludeGroups": [],
			"includeRoles": [],
			"excludeRoles": [],
		},
		"applications": {"includeApplications": ["All"], "excludeApplications": [], "includeUserActions": []},
		"clientAppTypes": ["all"],
		"userRiskLevels": [],
		"signInRiskLevels": [],
	},
	"grantControls": null,
	"sessionControls": null,
}

block_policy(conditions) := object.union(broad_policy, {
	"displayName": "Block policy",
	"conditions": conditions,
	"grantControls": {"operator": "OR", "builtInControls": ["block"]},
})

# A role member entry as the document builder derives it.
member(principal, role, assignment) := {
	"role_template_id": role,
	"role_display_name": role_label(role),
	"principal_id": principal,
	"principal_type": "user",
	"principal_display_name": principal,
	"assignment": assignment,
	"via_group": null,
	"assignment_id": sprintf("%s-%s-%s", [principal, role, assignment]),
	"directory_scope_id": "/",
	"members_known": true,
}

role_label(role) := "Global Administrator" if role == global_admin else := "User Administrator" if role == user_admin else := role

user(id, extra) := object.union({
	"id": id,
	"displayName": id,
	"userPrincipalName": sprintf("%s@contoso.example", [id]),
	"accountEnabled": true,
	"userType": "Member",
	"createdDateTime": "2024-01-01T00:00:00Z",
	"onPremisesSyncEnabled": null,
	"onPremisesImmutableId": null,
	"signInActivity": {
		"lastSignInDateTime": "2026-05-20T08:00:00Z",
		"lastNonInteractiveSignInDateTime": "2026-05-25T08:00:00Z",
		"lastSuccessfulSignInDateTime": "2026-05-20T08:00:00Z",
	},
}, extra)

registration(id, extra) := object.union({
	"id": id,
	"userPrincipalName": sprintf("%s@contoso.example", [id]),
	"userDisplayName": id,
	"userType": "member",
	"isAdmin": false,
	"isMfaRegistered": true,
	"isMfaCapable": true,
	"methodsRegistered": ["microsoftAuthenticatorPush"],
}, extra)

# Account facts as the document builder derives them (derived.accounts).
member_fact(id, extra) := object.union({
	"id": id,
	"label": sprintf("%s@contoso.example", [id]),
	"emergency_access": id in emergency_accounts,
	"inactive_since": 1779264000,
	"inactive_since_at": "2026-05-20T08:00:00Z",
	"inactive_basis": "last sign-in",
	"mfa_capable": true,
}, extra)

guest_fact(id, extra) := object.union({
	"id": id,
	"label": sprintf("%s_partner.example#EXT#@contoso.onmicrosoft.com", [id]),
	"emergency_access": false,
	"inactive_since": 1779264000,
	"inactive_since_at": "2026-05-20T08:00:00Z",
	"inactive_basis": "last sign-in",
}, extra)

# A document whose derived.accounts holds these members and guests.
accounts(members, guests) := doc_with({"derived": {"accounts": {
	"sign_in_activity_synced": true,
	"members": members,
	"guests": guests,
}}})

# The verdict a framework gives when it judges a control differently; undefined when it agrees.
framework_result(r, framework) := f if {
	some f in r.by_framework
	f.framework == framework
}

# The status a framework gives: its own, else the control's.
status_for(r, framework) := framework_result(r, framework).status if {
	framework_result(r, framework)
} else := r.status
