# A Safe Links policy protects email, Teams and Office apps with CIS 2.1.1's settings: clicks
# tracked and checked at click time, no click-through, internal senders' mail too, delivery only
# after the scan, URLs rewritten. Policies are judged as Get-SafeLinksPolicy lists them; which
# recipients a policy applies to (its Get-SafeLinksRule or the Strict/Standard preset rule) is not
# synced, so a policy with the settings counts as the tenant's.
package posture.controls.defender_office_safe_links

import data.posture.lib

metadata := {
	"id": "defender-office.safe-links",
	"title": "Safe Links protects email, Teams and Office apps",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "2.1.1"}],
	"rationale": "A link that was harmless at delivery can be switched to a phishing page later; Safe Links checks it when it is clicked.",
	"remediation": "Microsoft Defender > Email & collaboration > Policies & rules > Threat policies > Safe Links: turn on the Strict preset, or a policy applying to all recipients with email, Teams and Office apps on, clicks tracked, click-through off, internal senders included and delivery after the scan.",
	"required_collections": ["exo_safe_links_policies"],
}

wanted := {
	"EnableSafeLinksForEmail": true,
	"EnableSafeLinksForTeams": true,
	"EnableSafeLinksForOffice": true,
	"TrackClicks": true,
	"AllowClickThrough": false,
	"ScanUrls": true,
	"EnableForInternalSenders": true,
	"DeliverMessageAfterScan": true,
	"DisableUrlRewrite": false,
}

policies := lib.items("exo_safe_links_policies")

off(p) := sort([sprintf("%s is %v", [k, object.get(p, k, "absent")]) | some k, v in wanted; object.get(p, k, null) != v])

complete := [p | some p in policies; count(off(p)) == 0]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("pass", sprintf("Safe Links policy %s has the recommended settings", [concat(", ", sort([lib.exo_name(p) | some p in complete]))]), []) if {
	count(complete) > 0
} else := lib.result("fail", "no Safe Links policy exists (Defender for Office 365 Plan 1 or later is needed)", []) if {
	count(policies) == 0
} else := lib.result("fail", "no Safe Links policy has the recommended settings", [lib.exo_evidence("safeLinksPolicy", p, concat(", ", off(p))) | some p in policies])
