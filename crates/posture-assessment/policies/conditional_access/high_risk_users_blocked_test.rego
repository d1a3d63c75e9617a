package posture.controls.high_risk_users_blocked_test

import data.posture.controls.high_risk_users_blocked as control
import data.posture.testing

risk_block := testing.block_policy({"userRiskLevels": ["high"]})

test_passes_when_broad_policy_blocks_high_user_risk if {
	control.result.status == "pass" with input as testing.doc({"conditional_access_policies": testing.ok([risk_block])})
}

test_fails_when_policy_only_covers_medium_risk if {
	p := testing.block_policy({"userRiskLevels": ["medium"]})
	control.result.status == "fail" with input as testing.doc({"conditional_access_policies": testing.ok([p])})
}

test_licence_missing_fails_requires_entra_id_p2 if {
	r := control.result with input as testing.doc_with(testing.without_p2)
	r.status == "fail"
	contains(r.reason, "requires Microsoft Entra ID P2")
}

test_error_when_licences_are_unknown if {
	r := control.result with input as testing.doc_with(testing.licences_unknown)
	r.status == "error"
	contains(r.reason, "Organization.Read.All")
}
