# Guests that never accepted their invitation within `guest_pending_days`, or have not signed in for
# `guest_stale_days`. Reads derived.accounts.guests.
package posture.controls.stale_guests

import data.posture.lib

metadata := {
	"id": "posture.guests.stale",
	"title": "No stale guest accounts",
	"severity": "medium",
	"frameworks": [{"framework": "posture", "reference": "posture.guests.stale"}],
	"rationale": "Guests outlive the collaboration that brought them in; a forgotten guest is access controlled by another organisation's security.",
	"remediation": "Remove the listed guests or confirm them with their sponsor; set up a guest access review so this happens on a schedule.",
	"required_collections": ["users"],
	"reads_items": [],
}

stale_cutoff := lib.cutoff_s(lib.param("guest_stale_days", 90))

pending_cutoff := lib.cutoff_s(lib.param("guest_pending_days", 30))

pending := [{"kind": "user", "id": g.id, "display_name": g.label, "detail": sprintf("invitation not accepted since %s", [g.pending_since_at])} |
	some g in lib.guest_accounts
	g.pending_since < pending_cutoff
]

# inactive_since is absent for pending guests and when sign-in activity is unknown.
inactive := [{"kind": "user", "id": g.id, "display_name": g.label, "detail": sprintf("%s %s", [g.inactive_basis, g.inactive_since_at])} |
	some g in lib.guest_accounts
	g.inactive_since < stale_cutoff
]

offenders := array.concat(pending, inactive)

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("not_applicable", "the tenant has no enabled guest accounts", []) if {
	count(lib.guest_accounts) == 0
} else := lib.result("fail", sprintf("%d of %d guests are stale or never accepted their invitation", [count(offenders), count(lib.guest_accounts)]), offenders) if {
	count(offenders) > 0
} else := lib.result("pass", sprintf("all %d guests are active", [count(lib.guest_accounts)]), [])
