package posture.controls.high_risk_sign_ins_blocked_test

import data.posture.controls.high_risk_sign_ins_blocked as control
import data.posture.testing

risk_block := testing.block_policy({"signInRiskLevels": ["medium", "high"]})

test_passes_when_broad_policy_blocks_high_sign_in_risk if {
	control.result.status == "pass" with input as testing.doc({"conditional_access_policies": testing.ok([risk_block])})
}

test_fails_when_the_risk_policy_is_report_only if {
	p := object.union(risk_block, {"state": "enabledForReportingButNotEnforced"})
	control.result.status == "fail" with input as testing.doc({"conditional_access_policies": testing.ok([p])})
}

test_fails_when_user_risk_is_used_instead_of_sign_in_risk if {
	p := testing.block_policy({"userRiskLevels": ["high"]})
	control.result.status == "fail" with input as testing.doc({"conditional_access_policies": testing.ok([p])})
}

test_licence_missing_fails_requires_entra_id_p2 if {
	r := control.result with input as testing.doc_with(testing.without_p2)
	r.status == "fail"
	contains(r.reason, "requires Microsoft Entra ID P2")
}

test_error_when_policies_could_not_be_read if {
	control.result.status == "error" with input as testing.doc({"conditional_access_policies": testing.missing("403 Authorization_RequestDenied: Policy.Read.All not granted")})
}
