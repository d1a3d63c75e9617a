package posture.controls.risk_policies_test

import data.posture.controls.medium_high_sign_in_risk_blocked as blocked
import data.posture.controls.sign_in_risk_policy as sign_in_risk
import data.posture.controls.user_risk_policy as user_risk
import data.posture.testing

ca(policies) := testing.doc({"conditional_access_policies": testing.ok(policies)})

risk_block(user_levels, sign_in_levels) := object.union(testing.block_policy({
	"users": {"includeUsers": ["All"], "excludeUsers": testing.emergency_accounts},
	"userRiskLevels": user_levels,
	"signInRiskLevels": sign_in_levels,
}), {"id": "ca-risk"})

every_time := {"signInFrequency": {"isEnabled": true, "frequencyInterval": "everyTime", "authenticationType": "primaryAndSecondaryAuthentication"}}

# The benchmark's own remediation: MFA and a password change, sign-in frequency every time.
password_change := object.union(testing.broad_policy, {
	"id": "ca-user-risk",
	"conditions": {"userRiskLevels": ["high"]},
	"grantControls": {"operator": "AND", "builtInControls": ["mfa", "passwordChange"]},
	"sessionControls": every_time,
})

mfa_on_risky_sign_in := object.union(testing.broad_policy, {
	"id": "ca-sign-in-risk",
	"conditions": {"signInRiskLevels": ["high", "medium"]},
	"grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
	"sessionControls": every_time,
})

test_user_risk_password_change_or_block_passes if {
	user_risk.result.status == "pass" with input as ca([password_change])
	user_risk.result.status == "pass" with input as ca([risk_block(["high"], [])])
}

test_user_risk_password_change_without_every_time_fails if {
	p := object.union(password_change, {"sessionControls": null})
	user_risk.result.status == "fail" with input as ca([p])
}

test_user_risk_for_medium_only_fails if {
	user_risk.result.status == "fail" with input as ca([risk_block(["medium"], [])])
}

test_user_risk_report_only_fails_naming_it if {
	p := object.union(risk_block(["high"], []), {"state": "enabledForReportingButNotEnforced"})
	r := user_risk.result with input as ca([p])
	r.status == "fail"
	r.evidence[0].id == "ca-risk"
}

test_sign_in_risk_mfa_or_block_passes if {
	sign_in_risk.result.status == "pass" with input as ca([mfa_on_risky_sign_in])
	sign_in_risk.result.status == "pass" with input as ca([risk_block([], ["high", "medium"])])
}

test_sign_in_risk_high_only_fails if {
	r := sign_in_risk.result with input as ca([risk_block([], ["high"])])
	r.status == "fail"
	r.evidence[0].id == "ca-risk"
}

test_medium_and_high_blocked_passes_only_with_block if {
	blocked.result.status == "pass" with input as ca([risk_block([], ["high", "medium"])])
	blocked.result.status == "fail" with input as ca([mfa_on_risky_sign_in])
	blocked.result.status == "fail" with input as ca([risk_block([], ["high"])])
}

test_risk_exclusions_are_cis_exceptions_to_review if {
	p := object.union(risk_block([], ["high", "medium"]), {"conditions": {"users": {"excludeUsers": ["contractor-7"]}}})
	r := blocked.result with input as ca([p])
	r.status == "warning"
	some e in r.evidence
	e.id == "contractor-7"
}

test_each_risk_policy_fails_without_p2 if {
	d := object.union(ca([risk_block(["high"], ["high", "medium"])]), testing.without_p2)
	r1 := user_risk.result with input as d
	r1.status == "fail"
	contains(r1.reason, "Entra ID P2")
	r2 := sign_in_risk.result with input as d
	r2.status == "fail"
	r3 := blocked.result with input as d
	r3.status == "fail"
}

test_risk_policies_error_when_licences_are_unknown if {
	d := object.union(ca([risk_block(["high"], ["high", "medium"])]), testing.licences_unknown)
	user_risk.result.status == "error" with input as d
	blocked.result.status == "error" with input as d
}

test_risk_references if {
	{f.reference | some m in [user_risk.metadata, sign_in_risk.metadata, blocked.metadata]; some f in m.frameworks} == {"5.2.2.6", "5.2.2.7", "5.2.2.8"}
}
