# Share of enabled member accounts that are MFA capable (registered and allowed by the methods
# policy). All capable passes; at or above the threshold is a warning (a failure for CIS 5.2.3.4,
# which asks for every member); below it fails. Reads
# derived.accounts.members, where the builder joined each member with its registration details.
package posture.controls.mfa_coverage

import data.posture.lib

metadata := {
	"id": "posture.mfa.coverage",
	"title": "Enabled members are MFA capable",
	"severity": "high",
	"frameworks": [
		{"framework": "posture", "reference": "posture.mfa.coverage"},
		{"framework": "cis-m365-v7", "reference": "5.2.3.4"},
	],
	"rationale": "An MFA policy protects only users who can answer it; accounts without a usable method are the ones an attacker registers a method for.",
	"remediation": "Run a registration campaign (Authenticator, passkeys) for the listed users, or require registration through a Conditional Access policy on the 'Register security information' user action; disable accounts that are not needed.",
	"required_collections": ["users", "user_registration_details"],
	"reads_items": [],
}

# Filter first (one cheap pass), then describe the few that fail.
incapable_accounts := [a | some a in lib.member_accounts; a.mfa_capable != true]

incapable := [{"kind": "user", "id": a.id, "display_name": a.label, "detail": detail(a)} | some a in incapable_accounts]

detail(a) := "no registration details for this user" if {
	a.mfa_capable == null
} else := sprintf("not MFA capable (methods registered: %s)", [concat(", ", a.methods)]) if {
	count(a.methods) > 0
} else := "not MFA capable (no method registered)"

total := count(lib.member_accounts)

coverage := (total - count(incapable)) / total if total > 0

threshold := lib.param("mfa_coverage_threshold", 0.95)

summary := sprintf("%d of %d enabled members are MFA capable (%.1f%%; threshold %.1f%%)", [total - count(incapable), total, coverage * 100, threshold * 100])

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("not_applicable", "the tenant has no enabled member accounts", []) if {
	total == 0
} else := lib.result("pass", summary, []) if {
	count(incapable) == 0
} else := lib.with_framework(
	lib.result("warning", summary, incapable),
	lib.cis_framework,
	lib.result("fail", sprintf("CIS 5.2.3.4 asks every member to be MFA capable: %s", [summary]), incapable),
) if {
	coverage >= threshold
} else := lib.result("fail", summary, incapable)
