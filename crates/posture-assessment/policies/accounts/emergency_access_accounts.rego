# Two emergency-access (break-glass) accounts exist and no Conditional Access policy can lock them out
# (CIS 1.1.2): at least two accounts are declared in the tenant settings, each is an enabled
# cloud-only user, and every enabled policy that would apply to them excludes them (directly or
# through a group holding only emergency-access accounts).
package posture.controls.emergency_access_accounts

import data.posture.lib

metadata := {
	"id": "entra.accounts.emergency-access",
	"title": "Two emergency-access accounts are defined and excluded from Conditional Access",
	"severity": "high",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "1.1.2"}],
	"rationale": "A misconfigured Conditional Access policy, a federation outage or a lost MFA device can lock every administrator out; two cloud-only accounts outside Conditional Access keep a way back in.",
	"remediation": "Create two cloud-only accounts on the onmicrosoft.com domain with Global Administrator, long random passwords or FIDO2 keys kept offline, exclude them (or a group holding only them) from every Conditional Access policy, monitor their sign-ins, and declare them in Posture's tenant settings (emergency_access_accounts).",
	"required_collections": ["users", "conditional_access_policies"],
	"reads_items": ["conditional_access_policies"],
}

declared := [id | some id in lib.list(input, ["tenant", "emergency_access_accounts"]); is_string(id)]

# Enabled member accounts as the document builder derives them (raw users are not read: see
# docs/tenant-document.md, derived.accounts); synchronisation is known for privileged holders.
members_by_id := {m.id: m | some m in lib.member_accounts; is_object(m); is_string(m.id)}

label(id) := members_by_id[id].label if members_by_id[id] else := id

account_problems := array.concat(
	[lib.evidence("user", id, id, "declared emergency-access account is not an enabled member account (missing, disabled or a guest)") | some id in declared; not members_by_id[id]],
	[lib.evidence("user", id, label(id), "account is synchronised from on-premises (emergency-access accounts must be cloud-only)") | some id in declared; synced(id)],
)

synced(id) if lib.privileged_users[id].user.onPremisesSyncEnabled == true

roles_of(id) := {m.role_template_id | some m in lib.role_members; m.principal_id == id}

# Whether an enabled policy would apply to the account: all users, the account itself, or one of
# its roles. Policies naming groups only are left out (their members are not judged here).
applies_to(p, id) if lib.ca_all_users(p)

applies_to(p, id) if id in lib.list(p, ["conditions", "users", "includeUsers"])

applies_to(p, id) if {
	some role in lib.list(p, ["conditions", "users", "includeRoles"])
	role in roles_of(id)
}

excludes(p, id) if id in lib.list(p, ["conditions", "users", "excludeUsers"])

excludes(p, id) if {
	some g in lib.list(p, ["conditions", "users", "excludeGroups"])
	g in lib.list(input, ["derived", "emergency_access_groups"])
}

not_excluded := [lib.ca_evidence(p, sprintf("applies to emergency-access account %s without excluding it", [label(id)])) |
	some p in lib.ca_policies
	lib.ca_enabled(p)
	some id in declared
	applies_to(p, id)
	not excludes(p, id)
]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("fail", sprintf("%d emergency-access accounts declared; CIS asks for two (declare them in the tenant settings)", [count(declared)]), [lib.evidence("user", id, label(id), "declared emergency-access account") | some id in declared]) if {
	count(declared) < 2
} else := lib.result("fail", "declared emergency-access accounts are missing, disabled or synchronised from on-premises", account_problems) if {
	count(account_problems) > 0
} else := lib.result("fail", sprintf("%d enabled Conditional Access policies could lock an emergency-access account out", [count({e.id | some e in not_excluded})]), not_excluded) if {
	count(not_excluded) > 0
} else := lib.result("pass", sprintf("%d emergency-access accounts, cloud-only, enabled and excluded from every enabled Conditional Access policy", [count(declared)]), [lib.evidence("user", id, label(id), "emergency-access account") | some id in declared])
