# Privileged roles must sign in with phishing-resistant methods only (Windows Hello for Business,
# FIDO2, certificate-based MFA), enforced through an authentication strength.
package posture.controls.phishing_resistant_admins

import data.posture.lib

metadata := {
	"id": "entra.ca.phishing-resistant-mfa-admins",
	"title": "Phishing-resistant MFA is required for administrative roles",
	"severity": "high",
	"frameworks": [
		{"framework": "cisa-scuba", "reference": "MS.AAD.3.6v1"},
		{"framework": "cis-m365-v7", "reference": "5.2.2.5"},
	],
	"rationale": "Adversary-in-the-middle kits relay push, SMS and OTP codes; only device-bound, origin-checked methods stop them for the accounts attackers want most.",
	"remediation": "Create a Conditional Access policy that includes every privileged directory role, targets All resources, grants access with the 'Phishing-resistant MFA' authentication strength, excludes only the emergency-access accounts, and is On.",
	"required_collections": ["conditional_access_policies"],
}

enforcing := [p | some p in lib.ca_policies; lib.ca_targets_admins(p); lib.strength_is_phishing_resistant(p)]

uncovered := [role | some role in lib.privileged_roles; not covered(role)]

covered(role) if {
	some p in enforcing
	lib.ca_covers_role(p, role)
}

exempted := [p | some p in lib.ca_policies; lib.ca_targets_admins_but_exclusions(p); lib.strength_is_phishing_resistant(p)]

covered_with_exceptions(role) if {
	some p in exempted
	lib.ca_covers_role(p, role)
	not role in lib.list(p, ["conditions", "users", "excludeRoles"])
}

# CIS 5.2.2.5 treats exclusions as documented exceptions to review; SCuBA MS.AAD.3.6 fails them.
cis_warning := lib.result(
	"warning",
	sprintf("every privileged role requires a phishing-resistant authentication strength, through policies with excluded users, groups or roles; CIS treats them as documented exceptions to review (%s)", [concat(", ", sort([object.get(p, "displayName", p.id) | some p in exempted]))]),
	array.concat(
		[lib.ca_evidence(p, "requires phishing-resistant MFA for administrators, with exclusions") | some p in exempted],
		[e | some p in exempted; some e in lib.ca_excluded_objects(p)],
	),
)

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.with_framework(scuba_result, lib.cis_framework, cis_warning) if {
	scuba_result.status == "fail"
	count(exempted) > 0
	every role in uncovered {
		covered_with_exceptions(role)
	}
} else := scuba_result

scuba_result := lib.result(
	"pass",
	sprintf("all %d privileged roles require a phishing-resistant authentication strength", [count(lib.privileged_roles)]),
	[lib.ca_evidence(p, "enforcing policy") | some p in enforcing],
) if {
	count(uncovered) == 0
} else := lib.result(
	"fail",
	sprintf("%d privileged roles can sign in without phishing-resistant MFA", [count(uncovered)]),
	array.concat(
		[lib.evidence("directoryRole", role, lib.role_name(role), "no enabled policy requires a phishing-resistant authentication strength") | some role in sort(uncovered)],
		[lib.ca_evidence(p, "requires MFA for administrators, but not a phishing-resistant authentication strength") | some p in weaker],
	),
)

# Admin policies that settle for weaker MFA: the object to change to fix the finding.
weaker := [p |
	some p in lib.ca_policies
	lib.ca_targets_admins(p)
	lib.ca_requires_mfa(p)
	not lib.strength_is_phishing_resistant(p)
	covers_uncovered(p)
]

covers_uncovered(p) if {
	some role in uncovered
	lib.ca_covers_role(p, role)
}
