# Microsoft Defender XDR alerts of high severity (and critical, should Graph ever report it) left
# open (new or in progress) for longer than `alert_open_days` (default 7) since they were created.
package posture.controls.alerts_open_high

import data.posture.lib

metadata := {
	"id": "posture.alerts.open-high",
	"title": "No high-severity Defender alert left open",
	"severity": "high",
	"frameworks": [{"framework": "posture", "reference": "posture.alerts.open-high"}],
	"rationale": "A high-severity alert nobody has resolved after a week is either an attack in progress or a detection nobody watches; both mean incidents go unhandled.",
	"remediation": "Microsoft Defender portal > Incidents & alerts > Alerts, filter on severity High and status New or In progress: investigate each alert, then resolve it with a classification. Route alerts to an on-call queue (email notifications or a SIEM) so they are seen.",
	"required_collections": ["security_alerts"],
}

open_days := lib.param("alert_open_days", 7)

serious := {"high", "critical"}

closed := {"resolved"}

offenders := [lib.evidence("alert", a.id, lib.str(a, "title"), detail) |
	some a in lib.items("security_alerts")
	lower(lib.str(a, "severity")) in serious
	not lib.str(a, "status") in closed
	lib.older_than_days(a.createdDateTime, open_days)
	detail := sprintf("%s, %s since %s (%s)", [a.severity, lib.str(a, "status"), a.createdDateTime, lib.str(a, "serviceSource")])
]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("fail", sprintf("%d high-severity alerts have been open for more than %d days", [count(offenders), open_days]), offenders) if {
	count(offenders) > 0
} else := lib.result("pass", sprintf("no high-severity alert has been open for more than %d days", [open_days]), [])
