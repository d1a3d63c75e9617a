package posture.controls.authorization_settings_test

import data.posture.controls.app_registration_restricted as apps
import data.posture.controls.guest_access_restricted as guest_access
import data.posture.controls.guest_invitations_restricted as invitations
import data.posture.controls.tenant_creation_restricted as tenants
import data.posture.testing

hardened := {
	"id": "authorizationPolicy",
	"displayName": "Authorization Policy",
	"allowInvitesFrom": "adminsAndGuestInviters",
	"guestUserRoleId": "2af84b1e-32c8-42b7-82bc-daa82404023b",
	"defaultUserRolePermissions": {
		"allowedToCreateApps": false,
		"allowedToCreateTenants": false,
		"allowedToCreateSecurityGroups": false,
		"allowedToReadOtherUsers": true,
		"permissionGrantPoliciesAssigned": [],
	},
}

# Graph's defaults on a new tenant.
defaults := {
	"id": "authorizationPolicy",
	"displayName": "Authorization Policy",
	"allowInvitesFrom": "everyone",
	"guestUserRoleId": "a0b1b346-4d3e-4e8b-98f8-753987be4970",
	"defaultUserRolePermissions": {
		"allowedToCreateApps": true,
		"allowedToCreateTenants": null,
		"allowedToCreateSecurityGroups": true,
		"allowedToReadOtherUsers": true,
		"permissionGrantPoliciesAssigned": ["ManagePermissionGrantsForSelf.microsoft-user-default-legacy"],
	},
}

with_policy(p) := testing.doc({"authorization_policy": testing.ok([p])})

unreadable := testing.doc({"authorization_policy": testing.missing("403 Authorization_RequestDenied: Policy.Read.All not granted")})

test_hardened_policy_passes_every_authorization_control if {
	apps.result.status == "pass" with input as with_policy(hardened)
	tenants.result.status == "pass" with input as with_policy(hardened)
	guest_access.result.status == "pass" with input as with_policy(hardened)
	invitations.result.status == "pass" with input as with_policy(hardened)
}

test_tenant_defaults_fail_every_authorization_control if {
	apps.result.status == "fail" with input as with_policy(defaults)
	tenants.result.status == "fail" with input as with_policy(defaults)
	guest_access.result.status == "fail" with input as with_policy(defaults)
	invitations.result.status == "fail" with input as with_policy(defaults)
}

test_limited_guest_access_passes if {
	guest_access.result.status == "pass" with input as with_policy(object.union(hardened, {"guestUserRoleId": "10dae51f-b6af-4016-8d66-8c2a99b929b3"}))
}

test_unknown_guest_role_fails_with_the_value if {
	r := guest_access.result with input as with_policy(object.union(hardened, {"guestUserRoleId": "bogus"}))
	r.status == "fail"
	contains(r.reason, "bogus")
}

test_invitations_off_entirely_passes if {
	invitations.result.status == "pass" with input as with_policy(object.union(hardened, {"allowInvitesFrom": "none"}))
}

test_members_inviting_guests_fails if {
	invitations.result.status == "fail" with input as with_policy(object.union(hardened, {"allowInvitesFrom": "adminsGuestInvitersAndAllMembers"}))
}

test_unreadable_policy_is_an_error_for_every_authorization_control if {
	apps.result.status == "error" with input as unreadable
	tenants.result.status == "error" with input as unreadable
	guest_access.result.status == "error" with input as unreadable
	invitations.result.status == "error" with input as unreadable
}

references(control) := {sprintf("%s %s", [f.framework, f.reference]) | some f in control.metadata.frameworks}

test_cis_5_1_6_2_is_guest_user_access_restricted if {
	"cis-m365-v7 5.1.6.2" in references(guest_access)
	not "cis-m365-v7 5.1.6.2" in references(invitations)
}

test_cis_5_1_6_3_is_guest_user_invitations_limited if {
	"cis-m365-v7 5.1.6.3" in references(invitations)
	not "cis-m365-v7 5.1.6.3" in references(guest_access)
}
