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
	is_number(g.pending_since)
	g.pending_since < pending_cutoff
]

unseen := [{"kind": "user", "id": g.id, "display_name": g.label, "detail": sprintf("last sign-in %s", [g.last_sign_in_at])} |
	some g in lib.guest_accounts
	g.pending_since == null
	is_number(g.last_sign_in)
	g.last_sign_in < stale_cutoff
]

never := [{"kind": "user", "id": g.id, "display_name": g.label, "detail": sprintf("never signed in; created %s", [g.created_at])} |
	some g in lib.guest_accounts
	g.pending_since == null
	g.sign_in_known == true
	g.last_sign_in == null
	is_number(g.created)
	g.created < stale_cutoff
]

offenders := array.concat(pending, array.concat(unseen, never))

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("not_applicable", "the tenant has no enabled guest accounts", []) if {
	count(lib.guest_accounts) == 0
} else := lib.result("fail", sprintf("%d of %d guests are stale or never accepted their invitation", [count(offenders), count(lib.guest_accounts)]), offenders) if {
	count(offenders) > 0
} else := lib.result("pass", sprintf("all %d guests are active", [count(lib.guest_accounts)]), [])
