# Administrators re-authenticate at least every four hours and their browser sessions do not persist
# (CIS 5.2.2.4): every privileged role is covered by an enabled policy for all resources with a
# sign-in frequency of four hours or less and persistent browser sessions set to never.
package posture.controls.admin_sign_in_frequency

import data.posture.lib

metadata := {
	"id": "entra.ca.admin-sign-in-frequency",
	"title": "Sign-in frequency is enforced and browser sessions are not persistent for administrators",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.2.2.4"}],
	"rationale": "A stolen or left-open administrator session is worth as much as the password; short, non-persistent sessions limit how long it can be used.",
	"remediation": "Create a Conditional Access policy including the administrator roles, for All resources, with the session controls 'Sign-in frequency' of 4 hours or less and 'Persistent browser session' set to Never persistent, excluding only the emergency-access accounts, and turn it On.",
	"required_collections": ["conditional_access_policies"],
}

limit := lib.param("admin_sign_in_frequency_hours", 4)

session_limited(p) if {
	lib.sign_in_frequency_hours(p) <= limit
	lib.persistent_browser_never(p)
}

asks_session_limits(p) if lib.sign_in_frequency_enabled(p)

asks_session_limits(p) if lib.session(p).persistentBrowser.isEnabled == true

enforcing := [p | some p in lib.ca_policies; lib.ca_targets_admins(p); session_limited(p)]

covered(role) if {
	some p in enforcing
	lib.ca_covers_role(p, role)
}

uncovered := [role | some role in lib.privileged_roles; not covered(role)]

near := [p | some p in lib.ca_policies; asks_session_limits(p); not p in enforcing]

near_detail(p) := concat("; ", [g | some g in [frequency_gap(p), browser_gap(p), lib.ca_gaps(p)]; g != ""])

frequency_gap(p) := "" if {
	lib.sign_in_frequency_hours(p) <= limit
} else := sprintf("sign-in frequency %v %v (at most %d hours)", [lib.session(p).signInFrequency.value, lib.session(p).signInFrequency.type, limit]) if {
	lib.sign_in_frequency_enabled(p)
} else := "no sign-in frequency"

browser_gap(p) := "" if lib.persistent_browser_never(p) else := "persistent browser sessions not set to never"

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result(
	"pass",
	sprintf("all %d privileged roles have a sign-in frequency of at most %d hours and no persistent browser sessions (%s)", [count(lib.privileged_roles), limit, concat(", ", sort([object.get(p, "displayName", p.id) | some p in enforcing]))]),
	[lib.ca_evidence(p, "enforcing policy") | some p in enforcing],
) if {
	count(uncovered) == 0
} else := lib.result(
	"fail",
	sprintf("%d privileged roles lack a sign-in frequency of at most %d hours with non-persistent browser sessions", [count(uncovered), limit]),
	array.concat(
		[lib.ca_evidence(p, near_detail(p)) | some p in near],
		[lib.evidence("directoryRole", role, lib.role_name(role), "no enabled policy limits this role's sessions") | some role in sort(uncovered)],
	),
)
