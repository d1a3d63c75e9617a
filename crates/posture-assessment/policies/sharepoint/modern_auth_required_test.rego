package posture.controls.sharepoint_modern_auth_test

import data.posture.controls.sharepoint_modern_auth as control
import data.posture.testing

with_settings(s) := testing.doc({"sharepoint_settings": testing.ok([s])})

test_legacy_protocols_off_passes if {
	control.result.status == "pass" with input as with_settings({"isLegacyAuthProtocolsEnabled": false, "sharingCapability": "externalUserSharingOnly"})
}

test_wrapped_response_shape_is_read_too if {
	control.result.status == "pass" with input as with_settings({"value": {"isLegacyAuthProtocolsEnabled": false}})
}

test_legacy_protocols_on_fails if {
	r := control.result with input as with_settings({"isLegacyAuthProtocolsEnabled": true})
	r.status == "fail"
	contains(r.evidence[0].detail, "true")
}

test_unreadable_settings_are_an_error_naming_the_permission if {
	r := control.result with input as testing.doc({"sharepoint_settings": testing.missing("403 accessDenied: SharePointTenantSettings.Read.All not granted")})
	r.status == "error"
	contains(r.reason, "SharePointTenantSettings.Read.All")
}
