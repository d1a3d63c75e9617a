# Guests that never accepted their invitation within `guest_pending_days`, or have not signed in for
# `guest_stale_days`.
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
}

stale_days := lib.param("guest_stale_days", 90)

pending_days := lib.param("guest_pending_days", 30)

guests := [u | some u in lib.items("users"); u.userType == "Guest"; u.accountEnabled == true]

sign_in_fields := ["lastSignInDateTime", "lastNonInteractiveSignInDateTime", "lastSuccessfulSignInDateTime"]

last_seen(u) := max(times) if {
	times := [t | some f in sign_in_fields; t := lib.ts(object.get(object.get(u, "signInActivity", {}), f, null))]
	count(times) > 0
}

pending_since(u) := object.get(u, "externalUserStateChangeDateTime", u.createdDateTime) if {
	u.externalUserState == "PendingAcceptance"
}

finding(u) := sprintf("invitation not accepted since %s", [pending_since(u)]) if {
	lib.older_than_days(pending_since(u), pending_days)
} else := sprintf("last sign-in %s", [time.format(last_seen(u))]) if {
	not pending_since(u)
	last_seen(u) < lib.now_ns - (stale_days * lib.day_ns)
} else := sprintf("never signed in; created %s", [u.createdDateTime]) if {
	not pending_since(u)
	is_object(u.signInActivity)
	not last_seen(u)
	lib.older_than_days(u.createdDateTime, stale_days)
}

offenders := [lib.evidence("user", u.id, lib.user_label(u), finding(u)) | some u in guests; finding(u)]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("not_applicable", "the tenant has no enabled guest accounts", []) if {
	count(guests) == 0
} else := lib.result("fail", sprintf("%d of %d guests are stale or never accepted their invitation", [count(offenders), count(guests)]), offenders) if {
	count(offenders) > 0
} else := lib.result("pass", sprintf("all %d guests are active", [count(guests)]), [])
