package posture.controls.vulns_test

import data.posture.controls.vulns_critical_unpatched as vulns
import data.posture.testing

# --- posture.vulns.critical-unpatched -------------------------------------------------------------

machine(id) := {"id": id, "computerDnsName": sprintf("desktop-%s.contoso.com", [id]), "healthStatus": "Active"}

vuln(machine_id, cve, severity, kb) := {
	"id": sprintf("%s-_-%s-_-microsoft-_-windows_11-_-10.0.22631.3880-_-", [machine_id, cve]),
	"machineId": machine_id, "cveId": cve, "severity": severity, "fixingKbId": kb,
	"productName": "windows_11", "productVendor": "microsoft", "productVersion": "10.0.22631.3880",
}

with_vulns(machines, rows) := testing.doc_with({
	"tenant": {"licences": {"defender": true}},
	"collections": {
		"defender_machines": testing.ok(machines),
		"defender_vulnerabilities": testing.ok(rows),
	},
})

test_only_high_and_medium_vulnerabilities_pass if {
	r := vulns.result with input as with_vulns([machine("m1"), machine("m2")], [
		vuln("m1", "CVE-2024-21412", "High", "5040442"),
		vuln("m2", "CVE-2024-43451", "Medium", "5040442"),
	])
	r.status == "pass"
	contains(r.reason, "0 machines have open Critical or higher vulnerabilities")
}

test_critical_vulnerability_fails_naming_machine_cve_and_fix if {
	r := vulns.result with input as with_vulns([machine("m1"), machine("m2")], [
		vuln("m1", "CVE-2024-38063", "Critical", "5040442"),
		object.union(vuln("m1", "CVE-2024-49039", "Critical", ""), {"publicExploit": true}),
		vuln("m2", "CVE-2024-21412", "High", "5040442"),
	])
	r.status == "fail"
	[e.id | some e in r.evidence] == ["m1"]
	r.evidence[0].kind == "defenderMachine"
	r.evidence[0].display_name == "desktop-m1.contoso.com"
	r.evidence[0].detail == "CVE-2024-38063 (Critical, fix KB5040442); CVE-2024-49039 (Critical, public exploit, no fix published)"
	startswith(r.reason, "1 machines have open Critical")
}

test_minimum_severity_is_a_parameter if {
	d := object.union(
		with_vulns([machine("m2")], [vuln("m2", "CVE-2024-21412", "High", "5040442")]),
		{"parameters": {"vuln_min_severity": 3}},
	)
	r := vulns.result with input as d
	r.status == "fail"
	contains(r.reason, "High or higher")
}

test_allowed_machine_count_is_a_parameter if {
	d := object.union(
		with_vulns([machine("m1")], [vuln("m1", "CVE-2024-38063", "Critical", "5040442")]),
		{"parameters": {"vuln_max_machines": 1}},
	)
	vulns.result.status == "pass" with input as d
}

test_evidence_is_capped_and_the_reason_counts_every_machine if {
	ids := [sprintf("m%03d", [i]) | some i in numbers.range(1, 60)]
	r := vulns.result with input as with_vulns([machine(id) | some id in ids], [vuln(id, "CVE-2024-38063", "Critical", "5040442") | some id in ids])
	r.status == "fail"
	count(r.evidence) == 50
	startswith(r.reason, "60 machines")
}

test_a_machine_name_unknown_falls_back_to_its_id if {
	r := vulns.result with input as with_vulns([machine("m1")], [vuln("m9", "CVE-2024-38063", "Critical", "5040442")])
	r.status == "fail"
	r.evidence[0].display_name == "m9"
}

test_no_onboarded_machine_is_not_applicable if {
	vulns.result.status == "not_applicable" with input as with_vulns([], [])
}

test_error_without_windows_defender_atp_consent if {
	d := testing.doc_with({
		"tenant": {"licences": {"defender": true}},
		"collections": {"defender_vulnerabilities": testing.missing("permission missing for GET /api/vulnerabilities/machinesVulnerabilities: needs Vulnerability.Read.All, an application permission of the WindowsDefenderATP API")},
	})
	r := vulns.result with input as d
	r.status == "error"
	contains(r.reason, "Vulnerability.Read.All")
}

test_without_defender_licence_not_applicable if {
	d := testing.doc_with({
		"tenant": {"licences": {"defender": false}},
		"collections": {"defender_vulnerabilities": testing.missing("GET /api/vulnerabilities/machinesVulnerabilities needs a Microsoft Defender for Endpoint P2 licence in the tenant")},
	})
	r := vulns.result with input as d
	r.status == "not_applicable"
	contains(r.reason, "Defender for Endpoint licence")
}

test_licences_unknown_and_vulnerabilities_unread_is_an_error if {
	d := object.union(testing.doc_with(testing.licences_unknown), {"collections": {"defender_vulnerabilities": testing.missing("licence: Microsoft Defender for Endpoint required")}})
	vulns.result.status == "error" with input as d
}
