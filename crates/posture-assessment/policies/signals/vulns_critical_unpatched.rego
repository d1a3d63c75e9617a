# Machines Defender for Endpoint reports with open vulnerabilities of at least `vuln_min_severity`
# (1 Low, 2 Medium, 3 High, 4 Critical; default 4). Defender's per-machine rows carry no date, so
# the threshold is a count: more than `vuln_max_machines` (default 0) such machines fail. CIS and
# SCuBA have no row for it; it is a Posture control.
package posture.controls.vulns_critical_unpatched

import data.posture.lib

metadata := {
	"id": "posture.vulns.critical-unpatched",
	"title": "No machine has an open critical vulnerability",
	"severity": "high",
	"frameworks": [{"framework": "posture", "reference": "posture.vulns.critical-unpatched"}],
	"rationale": "A critical CVE left open on a machine is the shortest path from a phishing mail or an exposed service to code execution; Defender already knows which machines are exposed and which update closes each CVE.",
	"remediation": "Microsoft Defender portal > Vulnerability management > Weaknesses, filter on severity Critical: deploy the fixing KB to the exposed machines (Windows Update for Business or Intune update rings, or a remediation request from the security recommendation), then check the machines report the CVE closed. Where no update exists yet, apply the vendor's mitigation.",
	"required_collections": ["defender_vulnerabilities"],
	"reads_items": ["defender_vulnerabilities", "defender_machines"],
}

min_level := lib.param("vuln_min_severity", 4)

max_machines := lib.param("vuln_max_machines", 0)

# Evidence lists this many machines at most; the reason counts them all.
evidence_cap := 50

levels := {"low": 1, "medium": 2, "high": 3, "critical": 4}

level_names := {1: "Low", 2: "Medium", 3: "High", 4: "Critical"}

open_rows := [v |
	some v in lib.items("defender_vulnerabilities")
	levels[lower(lib.str(v, "severity"))] >= min_level
	lib.str(v, "machineId") != ""
]

machines := {v.machineId | some v in open_rows}

names := {m.id: m.computerDnsName |
	some m in lib.items("defender_machines")
	is_string(m.computerDnsName)
}

fix(v) := sprintf("fix KB%s", [v.fixingKbId]) if {
	lib.str(v, "fixingKbId") != ""
} else := "no fix published"

# The sync joins `publicExploit` from Defender's vulnerability catalogue.
exploit(v) := ", public exploit" if {
	v.publicExploit == true
} else := ""

cves(machine) := sort({sprintf("%s (%s%s, %s)", [lib.str(v, "cveId"), lib.str(v, "severity"), exploit(v), fix(v)]) |
	some v in open_rows
	v.machineId == machine
})

offenders := array.slice(
	[lib.evidence("defenderMachine", m, object.get(names, m, m), concat("; ", cves(m))) | some m in sort(machines)],
	0, evidence_cap,
)

no_defender if {
	lib.licences_known
	input.tenant.licences.defender == false
}

severity_label := object.get(level_names, min_level, sprintf("level %v", [min_level]))

result := lib.result("not_applicable", "the tenant has no Microsoft Defender for Endpoint licence: no machine reports vulnerabilities", []) if {
	no_defender
	not lib.collection_ok("defender_vulnerabilities")
} else := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("not_applicable", "no machine is onboarded to Defender for Endpoint", []) if {
	lib.collection_ok("defender_machines")
	count(lib.items("defender_machines")) == 0
} else := lib.result("fail", sprintf("%d machines have open %s or higher vulnerabilities (%d allowed)", [count(machines), severity_label, max_machines]), offenders) if {
	count(machines) > max_machines
} else := lib.result("pass", sprintf("%d machines have open %s or higher vulnerabilities (%d allowed)", [count(machines), severity_label, max_machines]), [])
