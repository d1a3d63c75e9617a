# Share of enabled member accounts that are MFA capable (registered and allowed by the methods
# policy). All capable passes; at or above the threshold is a warning; below it fails.
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
}

members := {u.id |
	some u in lib.items("users")
	u.accountEnabled == true
	u.userType == "Member"
}

labels := {u.id: lib.user_label(u) | some u in lib.items("users"); u.id in members}

registrations := {r.id: r | some r in lib.items("user_registration_details"); r.id in members}

incapable := [lib.evidence("user", id, labels[id], detail(id)) | some id in members; not capable(id)]

capable(id) if registrations[id].isMfaCapable == true

detail(id) := sprintf("not MFA capable (methods registered: %s)", [concat(", ", methods)]) if {
	methods := lib.list(registrations[id], ["methodsRegistered"])
	count(methods) > 0
} else := "not MFA capable (no method registered)" if {
	registrations[id]
} else := "no registration details for this user"

total := count(members)

coverage := (total - count(incapable)) / total if total > 0

threshold := lib.param("mfa_coverage_threshold", 0.95)

summary := sprintf("%d of %d enabled members are MFA capable (%.1f%%; threshold %.1f%%)", [total - count(incapable), total, coverage * 100, threshold * 100])

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("not_applicable", "the tenant has no enabled member accounts", []) if {
	total == 0
} else := lib.result("pass", summary, []) if {
	count(incapable) == 0
} else := lib.result("warning", summary, incapable) if {
	coverage >= threshold
} else := lib.result("fail", summary, incapable)
