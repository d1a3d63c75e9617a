# Non-administrators cannot reach the Microsoft admin portals (CIS 5.1.2.4): an enabled Conditional
# Access policy for all users, targeting the MicrosoftAdminPortals application group, blocks access
# (the administrator roles and the emergency-access accounts being the only ones left out).
package posture.controls.admin_portals_restricted

import data.posture.lib

metadata := {
	"id": "entra.ca.admin-portals-restricted",
	"title": "Access to the Microsoft admin portals is restricted to administrators",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.1.2.4"}],
	"rationale": "The admin portals show directory data and settings to any signed-in user; users without an administrative role have no reason to open them, and an attacker holding their password should find them closed.",
	"remediation": "Create a Conditional Access policy for All users, excluding the administrator roles and the emergency-access accounts, with the target resource 'Microsoft Admin Portals', grant Block access, and turn it On.",
	"required_collections": ["conditional_access_policies"],
}

targets_portals(p) if "MicrosoftAdminPortals" in lib.list(p, ["conditions", "applications", "includeApplications"])

# Administrator roles may be excluded (that is the point); users and groups only when they are the
# emergency-access accounts.
restricts(p) if {
	lib.ca_enabled(p)
	lib.ca_all_users(p)
	lib.ca_no_excluded_guests(p)
	lib.ca_exclusions_only_emergency(p)
	lib.ca_all_platforms(p)
	not "MicrosoftAdminPortals" in lib.list(p, ["conditions", "applications", "excludeApplications"])
	unconditional(p)
}

# A block that applies only to some client apps, risk levels, locations or flows leaves the portals
# open otherwise.
unconditional(p) if {
	count({t | some t in lib.list(p, ["conditions", "clientAppTypes"])} - {"all"}) == 0
	count(lib.list(p, ["conditions", "userRiskLevels"])) == 0
	count(lib.list(p, ["conditions", "signInRiskLevels"])) == 0
	count(lib.list(p, ["conditions", "locations", "includeLocations"])) == 0
	lib.str(p, ["conditions", "authenticationFlows", "transferMethods"]) == ""
}

portal_policies := [p | some p in lib.ca_policies; targets_portals(p); lib.ca_blocks(p)]

matching := [p | some p in portal_policies; restricts(p)]

near := [p | some p in portal_policies; not restricts(p)]

gaps(p) := concat("; ", [g | some g in [lib.gap_state(p), lib.gap_users(p), lib.gap_guests(p), lib.gap_exclusions(p), lib.gap_platforms(p), condition_gap(p)]; g != ""])

condition_gap(p) := "" if unconditional(p) else := "applies only under conditions (client apps, risk, locations or authentication flows)"

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("pass", sprintf("the admin portals are closed to non-administrators by: %s", [concat(", ", sort([object.get(p, "displayName", p.id) | some p in matching]))]), [lib.ca_evidence(p, "enforcing policy") | some p in matching]) if {
	count(matching) > 0
} else := lib.result("fail", sprintf("no enabled Conditional Access policy blocks the Microsoft admin portals for non-administrators (%d other policies block them partly, see evidence)", [count(near)]), [lib.ca_evidence(p, gaps(p)) | some p in near])
