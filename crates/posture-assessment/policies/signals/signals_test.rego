package posture.controls.signals_test

import data.posture.controls.alerts_open_high as alerts
import data.posture.controls.devices_noncompliant as devices
import data.posture.controls.securescore_drop as drop
import data.posture.controls.securescore_low as low
import data.posture.testing

# --- posture.devices.noncompliant (fixtures' now: 2026-06-01) ------------------------------------

device(id, state, last_sync) := {
	"id": id, "deviceName": sprintf("DESKTOP-%s", [id]), "userPrincipalName": "ada@contoso.com",
	"operatingSystem": "Windows", "osVersion": "10.0.22631.4460",
	"complianceState": state, "lastSyncDateTime": last_sync,
}

with_devices(list) := testing.doc({"managed_devices": testing.ok(list)})

test_compliant_devices_checking_in_pass if {
	r := devices.result with input as with_devices([device("d1", "compliant", "2026-05-31T08:00:00Z"), device("d2", "inGracePeriod", "2026-05-30T08:00:00Z")])
	r.status == "pass"
}

test_noncompliant_device_fails_with_its_state if {
	r := devices.result with input as with_devices([device("d1", "compliant", "2026-05-31T08:00:00Z"), device("d2", "noncompliant", "2026-05-31T08:00:00Z")])
	r.status == "fail"
	[e.id | some e in r.evidence] == ["d2"]
	r.evidence[0].kind == "managedDevice"
	r.evidence[0].display_name == "DESKTOP-d2"
	startswith(r.evidence[0].detail, "compliance state noncompliant; Windows 10.0.22631.4460")
}

test_device_not_checked_in_for_thirty_days_fails if {
	r := devices.result with input as with_devices([device("d3", "compliant", "2026-04-20T08:00:00Z")])
	r.status == "fail"
	contains(r.evidence[0].detail, "last check-in 2026-04-20T08:00:00Z")
}

test_device_stale_days_is_a_parameter if {
	d := object.union(with_devices([device("d3", "compliant", "2026-04-20T08:00:00Z")]), {"parameters": {"device_stale_days": 60}})
	devices.result.status == "pass" with input as d
}

test_conflict_and_error_states_fail if {
	r := devices.result with input as with_devices([device("d4", "conflict", "2026-05-31T08:00:00Z"), device("d5", "error", "2026-05-31T08:00:00Z")])
	r.status == "fail"
	count(r.evidence) == 2
}

test_no_devices_is_not_applicable if {
	devices.result.status == "not_applicable" with input as with_devices([])
}

test_error_when_devices_could_not_be_read if {
	d := testing.doc({"managed_devices": testing.missing("403 Forbidden: DeviceManagementManagedDevices.Read.All not granted")})
	r := devices.result with input as d
	r.status == "error"
	contains(r.reason, "DeviceManagementManagedDevices.Read.All")
}

test_without_intune_licence_not_applicable if {
	d := object.union(
		testing.doc({"managed_devices": testing.missing("licence: Microsoft Intune required")}),
		{"tenant": {"licences": {"intune": false}}},
	)
	devices.result.status == "not_applicable" with input as d
}

# --- posture.alerts.open-high ---------------------------------------------------------------------

alert(id, severity, status, created) := {
	"id": id, "title": "Suspicious PowerShell command line", "severity": severity, "status": status,
	"createdDateTime": created, "serviceSource": "microsoftDefenderForEndpoint",
}

with_alerts(list) := testing.doc({"security_alerts": testing.ok(list)})

test_high_alert_open_longer_than_seven_days_fails if {
	r := alerts.result with input as with_alerts([
		alert("a1", "high", "new", "2026-05-20T00:00:00Z"),
		alert("a2", "high", "inProgress", "2026-05-29T00:00:00Z"),
		alert("a3", "medium", "new", "2026-04-01T00:00:00Z"),
		alert("a4", "high", "resolved", "2026-04-01T00:00:00Z"),
	])
	r.status == "fail"
	[e.id | some e in r.evidence] == ["a1"]
	r.evidence[0].kind == "alert"
	r.evidence[0].detail == "high, new since 2026-05-20T00:00:00Z (microsoftDefenderForEndpoint)"
}

test_recent_or_resolved_or_lower_alerts_pass if {
	r := alerts.result with input as with_alerts([
		alert("a2", "high", "inProgress", "2026-05-29T00:00:00Z"),
		alert("a3", "medium", "new", "2026-04-01T00:00:00Z"),
		alert("a4", "high", "resolved", "2026-04-01T00:00:00Z"),
	])
	r.status == "pass"
}

test_critical_counts_as_high if {
	alerts.result.status == "fail" with input as with_alerts([alert("a5", "critical", "new", "2026-05-01T00:00:00Z")])
}

test_alert_open_days_is_a_parameter if {
	d := object.union(with_alerts([alert("a1", "high", "new", "2026-05-20T00:00:00Z")]), {"parameters": {"alert_open_days": 14}})
	alerts.result.status == "pass" with input as d
}

test_error_when_alerts_could_not_be_read if {
	d := testing.doc({"security_alerts": testing.missing("403 Authorization_RequestDenied: SecurityAlert.Read.All not granted")})
	r := alerts.result with input as d
	r.status == "error"
	contains(r.reason, "SecurityAlert.Read.All")
}

# --- posture.securescore.drop ---------------------------------------------------------------------

score(day, current) := {
	"id": sprintf("tenant_2026-05-%s", [day]), "createdDateTime": sprintf("2026-05-%sT00:00:00Z", [day]),
	"currentScore": current, "maxScore": 300,
}

with_scores(list) := testing.doc({"secure_scores": testing.ok(list)})

test_drop_of_more_than_five_points_in_seven_days_fails if {
	r := drop.result with input as with_scores([score("31", 150.5), score("30", 160), score("24", 162), score("23", 170), score("20", 100)])
	r.status == "fail"
	[e.id | some e in r.evidence] == ["tenant_2026-05-24", "tenant_2026-05-31"]
	r.evidence[0].kind == "secureScore"
	r.evidence[1].detail == "150.5 of 300 points on 2026-05-31T00:00:00Z"
	contains(r.reason, "fell 11.5 points in 7 days, from 162 to 150.5")
}

test_small_changes_and_rises_pass if {
	drop.result.status == "pass" with input as with_scores([score("31", 158), score("24", 162)])
	drop.result.status == "pass" with input as with_scores([score("31", 190), score("24", 162)])
}

test_the_earlier_score_is_the_newest_at_least_n_days_before if {
	# No score on the 24th: the 22nd is the reference, not the 30th.
	r := drop.result with input as with_scores([score("31", 150), score("30", 100), score("22", 157)])
	r.status == "fail"
	r.evidence[0].id == "tenant_2026-05-22"
}

test_drop_parameters_are_tenant_parameters if {
	d := object.union(with_scores([score("31", 150), score("24", 162)]), {"parameters": {"secure_score_drop_points": 20}})
	drop.result.status == "pass" with input as d
	d2 := object.union(with_scores([score("31", 150), score("30", 162)]), {"parameters": {"secure_score_drop_days": 1}})
	drop.result.status == "fail" with input as d2
}

test_short_history_is_not_applicable if {
	drop.result.status == "not_applicable" with input as with_scores([score("31", 150), score("30", 162)])
	drop.result.status == "not_applicable" with input as with_scores([])
}

test_error_when_scores_could_not_be_read if {
	d := testing.doc({"secure_scores": testing.missing("403 Authorization_RequestDenied: SecurityEvents.Read.All not granted")})
	r := drop.result with input as d
	r.status == "error"
	contains(r.reason, "SecurityEvents.Read.All")
}

# --- posture.securescore.low ----------------------------------------------------------------------

test_score_below_half_of_maximum_fails_with_the_latest_score if {
	r := low.result with input as with_scores([score("31", 120), score("30", 200)])
	r.status == "fail"
	[e.id | some e in r.evidence] == ["tenant_2026-05-31"]
	r.evidence[0].detail == "120 of 300 points (40%)"
	r.reason == "Secure Score is 40% of its maximum, below 50%"
}

test_score_at_least_half_passes if {
	low.result.status == "pass" with input as with_scores([score("31", 150)])
}

test_minimum_percent_is_a_parameter if {
	d := object.union(with_scores([score("31", 150)]), {"parameters": {"secure_score_min_percent": 60}})
	low.result.status == "fail" with input as d
}

test_low_without_scores_is_not_applicable_or_error if {
	low.result.status == "not_applicable" with input as with_scores([])
	d := testing.doc({"secure_scores": testing.missing("403 Authorization_RequestDenied: SecurityEvents.Read.All not granted")})
	low.result.status == "error" with input as d
}
