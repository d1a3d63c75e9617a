package posture.controls.device_code_flow_blocked_test

import data.posture.controls.device_code_flow_blocked as control
import data.posture.testing

device_code_block := testing.block_policy({"authenticationFlows": {"transferMethods": "deviceCodeFlow,authenticationTransfer"}})

test_passes_when_broad_policy_blocks_device_code_flow if {
	control.result.status == "pass" with input as testing.doc({"conditional_access_policies": testing.ok([device_code_block])})
}

test_fails_when_only_authentication_transfer_is_blocked if {
	p := testing.block_policy({"authenticationFlows": {"transferMethods": "authenticationTransfer"}})
	control.result.status == "fail" with input as testing.doc({"conditional_access_policies": testing.ok([p])})
}

test_fails_when_policy_leaves_out_some_applications if {
	p := object.union(device_code_block, {"conditions": {"applications": {"includeApplications": ["Office365"]}}})
	r := control.result with input as testing.doc({"conditional_access_policies": testing.ok([p])})
	r.status == "fail"
	contains(r.evidence[0].detail, "applications do not include All")
}

test_error_when_policies_could_not_be_read if {
	control.result.status == "error" with input as testing.doc({"conditional_access_policies": testing.missing("licence: Entra ID P1 required")})
}
