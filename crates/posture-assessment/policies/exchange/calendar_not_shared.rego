# Calendars are not shared outside the organization. SCuBA MS.EXO.6.2v1 ("Calendar details SHALL
# NOT be shared with all domains") fails an enabled sharing policy that grants `*` more than
# free/busy (CalendarSharingFreeBusyDetail or Reviewer); CIS 1.3.3 (external sharing of calendars
# is not available) fails the default sharing policy while it is enabled at all.
package posture.controls.exchange_calendar_not_shared

import data.posture.lib

metadata := {
	"id": "exchange.calendar-not-shared-externally",
	"title": "Calendar details are not shared with external domains",
	"severity": "low",
	"frameworks": [
		{"framework": "cis-m365-v7", "reference": "1.3.3"},
		{"framework": "cisa-scuba", "reference": "MS.EXO.6.2v1"},
	],
	"rationale": "Calendar details tell an outsider who meets whom, when and about what: material for pretexting and for knowing when someone is away.",
	"remediation": "Microsoft 365 admin center > Settings > Org settings > Calendar: clear Let your users share their calendars with people outside of your organization (or Set-SharingPolicy -Identity 'Default Sharing Policy' -Enabled $false).",
	"required_collections": ["exo_sharing_policies"],
}

policies := lib.items("exo_sharing_policies")

details := {"CalendarSharingFreeBusyDetail", "CalendarSharingFreeBusyReviewer"}

detailed := [p | some p in policies; count(lib.shared_with_all(p) & details) > 0]

default_enabled := [p | some p in policies; p.Default == true; p.Enabled == true]

cis := lib.result("pass", "the default sharing policy is disabled", []) if {
	count(default_enabled) == 0
} else := lib.result("fail", "users can share their calendars outside the organization (the default sharing policy is enabled)", [lib.exo_evidence("sharingPolicy", p, "Enabled is true") | some p in default_enabled])

scuba := lib.result("pass", "no sharing policy shares calendar details with all domains", []) if {
	count(detailed) == 0
} else := lib.result("fail", sprintf("sharing policy %s shares calendar details with all domains", [concat(", ", sort([lib.exo_name(p) | some p in detailed]))]), [lib.exo_evidence("sharingPolicy", p, concat(", ", lib.list(p, "Domains"))) | some p in detailed])

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.with_framework(cis, lib.scuba_framework, scuba)
