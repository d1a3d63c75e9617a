# Enabled member accounts nobody has signed in to for `stale_days` (interactive or not). Emergency-
# access accounts are expected to sit unused and are left out.
package posture.controls.stale_accounts

import data.posture.lib

metadata := {
	"id": "posture.accounts.stale",
	"title": "No stale enabled member accounts",
	"severity": "medium",
	"frameworks": [{"framework": "posture", "reference": "posture.accounts.stale"}],
	"rationale": "Unused accounts keep their access and their passwords; nobody notices when an attacker starts using one.",
	"remediation": "Confirm with each account's manager whether it is still needed; disable it (and later delete it) if not. Automate with access reviews or a lifecycle workflow.",
	"required_collections": ["users"],
}

days := lib.param("stale_days", 90)

cutoff := lib.now_ns - (days * lib.day_ns)

candidates := [u |
	some u in lib.items("users")
	u.accountEnabled == true
	u.userType == "Member"
	not u.id in lib.emergency_ids
]

# signInActivity is only returned with Entra ID P1 and AuditLog.Read.All; without it nothing can be
# said about staleness.
activity_known if {
	some u in candidates
	is_object(u.signInActivity)
}

sign_in_fields := ["lastSignInDateTime", "lastNonInteractiveSignInDateTime", "lastSuccessfulSignInDateTime"]

last_seen(u) := max(times) if {
	times := [t | some f in sign_in_fields; t := lib.ts(object.get(u.signInActivity, f, null))]
	count(times) > 0
}

stale(u) if last_seen(u) < cutoff

stale(u) if {
	not last_seen(u)
	lib.ts(u.createdDateTime) < cutoff
}

describe(u) := sprintf("last sign-in %s", [time.format(last_seen(u))]) if last_seen(u) else := sprintf("never signed in; created %s", [u.createdDateTime])

offenders := [lib.evidence("user", u.id, lib.user_label(u), describe(u)) |
	some u in candidates
	is_object(u.signInActivity)
	stale(u)
]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("not_applicable", "the tenant has no enabled member accounts", []) if {
	count(candidates) == 0
} else := lib.result("error", "users were synced without signInActivity (needs AuditLog.Read.All and Microsoft Entra ID P1)", []) if {
	not activity_known
} else := lib.result("fail", sprintf("%d enabled members have not signed in for %d days", [count(offenders), days]), offenders) if {
	count(offenders) > 0
} else := lib.result("pass", sprintf("every enabled member signed in within %d days", [days]), [])
