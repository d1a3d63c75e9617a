package posture.controls.devices_test

import data.posture.controls.bitlocker_keys_restricted as bitlocker
import data.posture.controls.device_join_restricted as join
import data.posture.controls.device_quota as quota
import data.posture.controls.global_admins_not_local_admins as ga_local_admin
import data.posture.controls.laps_enabled as laps
import data.posture.controls.registering_user_not_local_admin as registering_user
import data.posture.testing

everyone := {"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"}

nobody := {"@odata.type": "#microsoft.graph.noDeviceRegistrationMembership"}

selected := {"@odata.type": "#microsoft.graph.enumeratedDeviceRegistrationMembership", "users": [], "groups": ["g-device-admins"]}

# Graph's deviceRegistrationPolicy as a hardened tenant sets it.
hardened := {
	"id": "deviceRegistrationPolicy",
	"displayName": "Device Registration Policy",
	"userDeviceQuota": 20,
	"multiFactorAuthConfiguration": "required",
	"azureADRegistration": {"isAdminConfigurable": false, "allowedToRegister": everyone},
	"azureADJoin": {
		"isAdminConfigurable": true,
		"allowedToJoin": selected,
		"localAdmins": {"enableGlobalAdmins": false, "registeringUsers": nobody},
	},
	"localAdminPassword": {"isEnabled": true},
}

# Entra's defaults on a new tenant.
defaults := {
	"id": "deviceRegistrationPolicy",
	"displayName": "Device Registration Policy",
	"userDeviceQuota": 50,
	"multiFactorAuthConfiguration": "notRequired",
	"azureADRegistration": {"isAdminConfigurable": false, "allowedToRegister": everyone},
	"azureADJoin": {
		"isAdminConfigurable": true,
		"allowedToJoin": everyone,
		"localAdmins": {"enableGlobalAdmins": true, "registeringUsers": everyone},
	},
	"localAdminPassword": {"isEnabled": false},
}

with_policy(p) := testing.doc({"device_registration_policy": testing.ok([p])})

test_hardened_device_registration_passes_every_device_control if {
	join.result.status == "pass" with input as with_policy(hardened)
	quota.result.status == "pass" with input as with_policy(hardened)
	ga_local_admin.result.status == "pass" with input as with_policy(hardened)
	registering_user.result.status == "pass" with input as with_policy(hardened)
	laps.result.status == "pass" with input as with_policy(hardened)
}

test_defaults_name_the_device_registration_policy if {
	r := ga_local_admin.result with input as with_policy(defaults)
	r.evidence[0].id == "deviceRegistrationPolicy"
	contains(r.evidence[0].detail, "enableGlobalAdmins is true")
}

test_each_default_fails if {
	join.result.status == "fail" with input as with_policy(defaults)
	quota.result.status == "fail" with input as with_policy(defaults)
	ga_local_admin.result.status == "fail" with input as with_policy(defaults)
	registering_user.result.status == "fail" with input as with_policy(defaults)
	laps.result.status == "fail" with input as with_policy(defaults)
}

test_join_by_nobody_passes if {
	p := object.union(hardened, {"azureADJoin": {"allowedToJoin": {"@odata.type": "#microsoft.graph.noDeviceRegistrationMembership", "groups": []}}})
	join.result.status == "pass" with input as with_policy(p)
}

test_join_by_everyone_fails_with_the_setting if {
	p := object.union(hardened, {"azureADJoin": {"allowedToJoin": {"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership", "groups": []}}})
	r := join.result with input as with_policy(p)
	r.status == "fail"
	contains(r.evidence[0].detail, "allowedToJoin is all")
}

test_quota_above_twenty_fails_and_the_limit_is_a_parameter if {
	p := object.union(hardened, {"userDeviceQuota": 21})
	r := quota.result with input as with_policy(p)
	r.status == "fail"
	contains(r.reason, "21")
	quota.result.status == "pass" with input as object.union(with_policy(p), {"parameters": {"max_devices_per_user": 25}})
}

test_missing_quota_fails if {
	p := object.remove(hardened, ["userDeviceQuota"])
	quota.result.status == "fail" with input as with_policy(p)
}

test_registering_user_for_selected_users_passes if {
	p := object.union(hardened, {"azureADJoin": {"localAdmins": {"registeringUsers": selected}}})
	registering_user.result.status == "pass" with input as with_policy(p)
}

test_unknown_membership_kind_fails if {
	p := object.union(hardened, {"azureADJoin": {"localAdmins": {"registeringUsers": "surprise"}}})
	r := registering_user.result with input as with_policy(p)
	r.status == "fail"
	contains(r.reason, "unknown")
}

test_unreadable_policy_is_an_error_naming_the_permission if {
	doc := testing.doc({"device_registration_policy": testing.missing("403 Authorization_RequestDenied: Policy.Read.DeviceConfiguration not granted")})
	r := join.result with input as doc
	r.status == "error"
	contains(r.reason, "Policy.Read.DeviceConfiguration")
}

test_every_device_control_errors_without_the_policy if {
	doc := testing.doc({"device_registration_policy": testing.missing("403 Authorization_RequestDenied: Policy.Read.DeviceConfiguration not granted")})
	join.result.status == "error" with input as doc
	quota.result.status == "error" with input as doc
	ga_local_admin.result.status == "error" with input as doc
	registering_user.result.status == "error" with input as doc
	laps.result.status == "error" with input as doc
}

test_empty_policy_collection_is_an_error if {
	r := laps.result with input as testing.doc({"device_registration_policy": testing.ok([])})
	r.status == "error"
	contains(r.reason, "holds no object")
}

authorization(allowed) := {
	"id": "authorizationPolicy",
	"displayName": "Authorization Policy",
	"defaultUserRolePermissions": {"allowedToReadBitlockerKeysForOwnedDevice": allowed},
}

test_bitlocker_keys_restricted_passes_only_when_false if {
	bitlocker.result.status == "pass" with input as testing.doc({"authorization_policy": testing.ok([authorization(false)])})
	r := bitlocker.result with input as testing.doc({"authorization_policy": testing.ok([authorization(true)])})
	r.status == "fail"
	r.evidence[0].id == "authorizationPolicy"
	contains(r.evidence[0].detail, "allowedToReadBitlockerKeysForOwnedDevice is true")
}

test_bitlocker_keys_absent_setting_fails if {
	bitlocker.result.status == "fail" with input as testing.doc({"authorization_policy": testing.ok([{"id": "authorizationPolicy"}])})
}

test_device_control_references if {
	refs := {f.reference | some m in [join.metadata, quota.metadata, ga_local_admin.metadata, registering_user.metadata, laps.metadata, bitlocker.metadata]; some f in m.frameworks}
	refs == {"5.1.4.1", "5.1.4.2", "5.1.4.3", "5.1.4.4", "5.1.4.5", "5.1.4.6"}
}
