package posture.controls.admins_mfa_registered_test

import data.posture.controls.admins_mfa_registered as control
import data.posture.testing

privileged(id, user, registration) := {id: {"id": id, "user": user, "registration": registration, "roles": [testing.global_admin], "assignments": ["eligible"]}}

test_passes_when_every_admin_is_registered if {
	users := privileged("a1", testing.user("a1", {}), testing.registration("a1", {}))
	control.result.status == "pass" with input as testing.doc_with({"derived": {"privileged_users": users}})
}

test_fails_for_admin_without_strong_method if {
	users := object.union(
		privileged("a1", testing.user("a1", {}), testing.registration("a1", {})),
		privileged("a2", testing.user("a2", {}), testing.registration("a2", {"isMfaRegistered": false, "isMfaCapable": false})),
	)
	r := control.result with input as testing.doc_with({"derived": {"privileged_users": users}})
	r.status == "fail"
	[e.id | some e in r.evidence] == ["a2"]
}

test_fails_when_admin_has_no_registration_row if {
	r := control.result with input as testing.doc_with({"derived": {"privileged_users": privileged("a3", testing.user("a3", {}), null)}})
	r.status == "fail"
	contains(r.evidence[0].detail, "no registration details")
}

test_disabled_admin_accounts_are_ignored if {
	users := privileged("a4", testing.user("a4", {"accountEnabled": false}), testing.registration("a4", {"isMfaRegistered": false}))
	control.result.status == "pass" with input as testing.doc_with({"derived": {"privileged_users": users}})
}

test_error_without_the_registration_report if {
	r := control.result with input as testing.doc({"user_registration_details": testing.missing("403 Authentication_RequestFromNonPremiumTenantOrB2CTenant: Entra ID P1 or P2 required")})
	r.status == "error"
	contains(r.reason, "Entra ID P1")
}
