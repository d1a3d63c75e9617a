package posture.controls.admin_risk_notifications_test

import data.posture.controls.admin_risk_notifications as control
import data.posture.testing

test_always_not_applicable_with_manual_reason if {
	r := control.result with input as testing.base
	r.status == "not_applicable"
	contains(r.reason, "manual")
}

test_not_applicable_even_when_collections_are_missing if {
	control.result.status == "not_applicable" with input as testing.doc({"users": testing.missing("not synced")})
}
