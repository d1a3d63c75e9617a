# Enabled member accounts nobody has signed in to for `stale_days` (interactive or not). Emergency-
# access accounts are expected to sit unused and are left out. Reads derived.accounts, where the
# builder has already taken the latest of the three sign-in timestamps (or the creation date).
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
	"reads_items": [],
}

days := lib.param("stale_days", 90)

cutoff := lib.cutoff_s(days)

# One pass: inactive_since is the latest sign-in, or the creation date of an account that never
# signed in; it is absent when sign-in activity is unknown, which leaves the comparison undefined.
offenders := [{"kind": "user", "id": a.id, "display_name": a.label, "detail": sprintf("%s %s", [a.inactive_basis, a.inactive_since_at])} |
	some a in lib.member_accounts
	a.inactive_since < cutoff
	a.emergency_access == false
]

# Why sign-in activity is unknown: the sync's reason for the user_sign_in_activity collection
# (the missing permission or licence), or the requirement when it was not synced at all.
sign_in_unknown := sprintf("sign-in activity is unknown: %s", [lib.missing_reason("user_sign_in_activity")]) if {
	input.collections.user_sign_in_activity.status == "missing"
	is_string(input.collections.user_sign_in_activity.reason)
	input.collections.user_sign_in_activity.reason != "not synced"
} else := "users were synced without signInActivity (needs AuditLog.Read.All and Microsoft Entra ID P1)"

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("not_applicable", "the tenant has no enabled member accounts", []) if {
	count(lib.member_accounts) == 0
} else := lib.result("error", sign_in_unknown, []) if {
	input.derived.accounts.sign_in_activity_synced != true
} else := lib.result("fail", sprintf("%d enabled members have not signed in for %d days", [count(offenders), days]), offenders) if {
	count(offenders) > 0
} else := lib.result("pass", sprintf("every enabled member signed in within %d days", [days]), [])
