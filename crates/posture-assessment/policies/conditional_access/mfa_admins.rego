# Every privileged role must be covered by an enforced policy that requires MFA for all resources.
package posture.controls.mfa_admins

import data.posture.lib

metadata := {
	"id": "entra.ca.mfa-admins",
	"title": "MFA is required for administrative roles",
	"severity": "critical",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.2.2.1"}],
	"rationale": "Administrator accounts are the most valuable target in the tenant; a stolen admin password without MFA is a full compromise.",
	"remediation": "Create a Conditional Access policy that includes every privileged directory role (or All users), targets All resources, requires multifactor authentication, excludes only the emergency-access accounts, and is On.",
	"required_collections": ["conditional_access_policies"],
}

enforcing := [p | some p in lib.ca_policies; lib.ca_targets_admins(p); lib.ca_requires_mfa(p)]

uncovered := [role | some role in lib.privileged_roles; not covered(role)]

covered(role) if {
	some p in enforcing
	lib.ca_covers_role(p, role)
}

# Policies that would cover administrators but for excluded users, groups or roles: CIS treats the
# exclusions as documented exceptions to review.
exempted := [p | some p in lib.ca_policies; lib.ca_targets_admins_but_exclusions(p); lib.ca_requires_mfa(p)]

covered_with_exceptions(role) if {
	some p in exempted
	lib.ca_covers_role(p, role)
	not role in lib.list(p, ["conditions", "users", "excludeRoles"])
}

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result(
	"pass",
	sprintf("all %d privileged roles require MFA (%s)", [count(lib.privileged_roles), concat(", ", sort([p.displayName | some p in enforcing]))]),
	[lib.ca_evidence(p, "enforcing policy") | some p in enforcing],
) if {
	count(uncovered) == 0
} else := lib.result(
	"warning",
	sprintf("every privileged role requires MFA, through policies with excluded users, groups or roles; CIS treats them as documented exceptions to review (%s)", [concat(", ", sort([object.get(p, "displayName", p.id) | some p in exempted]))]),
	array.concat(
		[lib.ca_evidence(p, "requires MFA for administrators, with exclusions") | some p in exempted],
		[e | some p in exempted; some e in lib.ca_excluded_objects(p)],
	),
) if {
	every role in uncovered {
		covered_with_exceptions(role)
	}
} else := lib.result(
	"fail",
	sprintf("%d privileged roles are not covered by an enabled policy requiring MFA for all resources", [count(uncovered)]),
	[lib.evidence("directoryRole", role, lib.role_name(role), "no enabled policy requires MFA for this role") | some role in sort(uncovered)],
)
