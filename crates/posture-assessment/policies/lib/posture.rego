# Shared rules and functions of the built-in pack: collection status, result shapes, time arithmetic and the
# Conditional Access predicates every control must read the same way (controls.md "applies broadly").
package posture.lib

# --- collections -------------------------------------------------------------------------------

collection_ok(name) if input.collections[name].status == "ok"

items(name) := v if {
	v := input.collections[name].items
	is_array(v)
} else := []

missing(names) := [n | some n in names; not collection_ok(n)]

missing_reason(n) := sprintf("%s: %s", [n, r]) if {
	r := input.collections[n].reason
	is_string(r)
	r != ""
} else := sprintf("%s: not synced", [n])

# An error result naming every required collection that is not usable, with the reason the sync
# recorded (the missing permission or licence); undefined when all are present.
error_for(names) := r if {
	m := missing(names)
	count(m) > 0
	reasons := [missing_reason(n) | some n in m]
	r := result("error", sprintf("required data missing: %s", [concat("; ", reasons)]), [])
}

# --- results -------------------------------------------------------------------------------------

result(status, reason, evidence) := {"status": status, "reason": reason, "evidence": evidence}

evidence(kind, id, display_name, detail) := {
	"kind": kind,
	"id": id,
	"display_name": display_name,
	"detail": detail,
}

list(obj, path) := v if {
	v := object.get(obj, path, [])
	is_array(v)
} else := []

str(obj, path) := v if {
	v := object.get(obj, path, "")
	is_string(v)
} else := ""

user_label(u) := u.userPrincipalName if {
	is_string(u.userPrincipalName)
} else := u.displayName if {
	is_string(u.displayName)
} else := u.id

# --- licences and parameters ---------------------------------------------------------------------

licences_known if input.tenant.licences.known == true

has_p2 if input.tenant.licences.p2 == true

has_p1 if input.tenant.licences.p1 == true

param(name, fallback) := v if {
	v := input.parameters[name]
} else := fallback

# --- time ----------------------------------------------------------------------------------------

now_ns := time.parse_rfc3339_ns(input.now)

day_ns := 86400000000000

# Nanoseconds since the epoch for an RFC 3339 string; undefined for null, absent or unparsable.
ts(value) := time.parse_rfc3339_ns(value) if is_string(value)

older_than_days(value, days) if ts(value) < now_ns - (days * day_ns)

# --- emergency access and privileged roles -------------------------------------------------------

emergency_ids := {id | some id in list(input, ["tenant", "emergency_access_accounts"])} | {id |
	some id in list(input, ["derived", "emergency_access_groups"])
}

global_admin_role := "62e90394-69f5-4237-9190-012177145e10"

privileged_roles := {r | some r in list(input, ["derived", "privileged_role_template_ids"])}

role_name(template_id) := n if {
	some d in items("role_definitions")
	object.get(d, "templateId", d.id) == template_id
	n := d.displayName
	is_string(n)
} else := n if {
	some m in list(input, ["derived", "role_members"])
	m.role_template_id == template_id
	n := m.role_display_name
	is_string(n)
} else := builtin_role_names[template_id] if {
	builtin_role_names[template_id]
} else := template_id

builtin_role_names := {
	"62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
	"e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
	"fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
	"f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
	"29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
	"8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2": "Hybrid Identity Administrator",
	"9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
	"158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
	"7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
	"194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
	"b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": "Conditional Access Administrator",
}

no_p2_known if {
	licences_known
	not has_p2
}

# Eligible (PIM) assignments are complete when their collection synced, or when the tenant is known
# to have no P2 (then there are none). Otherwise counts over role members would be silently short.
eligibility_gap := missing_reason("role_eligibility_instances") if {
	not collection_ok("role_eligibility_instances")
	not no_p2_known
}

# --- Conditional Access ---------------------------------------------------------------------------

ca_policies := items("conditional_access_policies")

ca_enabled(p) if p.state == "enabled"

ca_all_users(p) if "All" in list(p, ["conditions", "users", "includeUsers"])

ca_all_apps(p) if "All" in list(p, ["conditions", "applications", "includeApplications"])

ca_no_excluded_roles(p) if count(list(p, ["conditions", "users", "excludeRoles"])) == 0

# excludeGuestsOrExternalUsers is null unless the policy leaves out some kind of guest or external user.
ca_no_excluded_guests(p) if not is_object(object.get(p, ["conditions", "users", "excludeGuestsOrExternalUsers"], null))

ca_no_excluded_apps(p) if count(list(p, ["conditions", "applications", "excludeApplications"])) == 0

ca_exclusions_only_emergency(p) if {
	excluded := array.concat(
		list(p, ["conditions", "users", "excludeUsers"]),
		list(p, ["conditions", "users", "excludeGroups"]),
	)
	every id in excluded {
		id in emergency_ids
	}
}

# controls.md: enabled (report-only does not count), all users, all applications, no excluded
# roles, guests or applications, user and group exclusions limited to the declared emergency-access
# accounts.
ca_broad(p) if {
	ca_enabled(p)
	ca_all_users(p)
	ca_all_apps(p)
	ca_no_excluded_roles(p)
	ca_no_excluded_guests(p)
	ca_no_excluded_apps(p)
	ca_exclusions_only_emergency(p)
	ca_all_platforms(p)
}

# Broad in every respect but excluded users, groups or roles beyond the emergency-access accounts.
# CIS 5.2.2.x treats such exclusions as documented exceptions to review; SCuBA fails them.
ca_broad_but_exclusions(p) if {
	ca_enabled(p)
	ca_all_users(p)
	ca_all_apps(p)
	ca_no_excluded_guests(p)
	ca_no_excluded_apps(p)
	ca_all_platforms(p)
	not ca_broad(p)
}

# A platform condition that names specific platforms (e.g. Windows only) leaves the others open.
ca_all_platforms(p) if count(list(p, ["conditions", "platforms", "includePlatforms"])) == 0

ca_all_platforms(p) if {
	"all" in list(p, ["conditions", "platforms", "includePlatforms"])
	count(list(p, ["conditions", "platforms", "excludePlatforms"])) == 0
}

grant_controls(p) := list(p, ["grantControls", "builtInControls"])

ca_blocks(p) if "block" in grant_controls(p)

managed_device_controls := {"compliantDevice", "domainJoinedDevice"}

# The grant controls are managed-device ones only: with "Require one of the selected controls" any
# other control (MFA, an authentication strength, terms of use) is a way in without a managed device.
ca_only_device_controls(p) if {
	controls := {c | some c in grant_controls(p)}
	count(controls) > 0
	count(controls - managed_device_controls) == 0
	not strength(p)
	count(list(p, ["grantControls", "customAuthenticationFactors"])) == 0
	count(list(p, ["grantControls", "termsOfUse"])) == 0
}

# SCuBA MS.AAD.3.7/3.8: compliant OR hybrid joined, the two as the only grant controls.
ca_requires_managed_device_scuba(p) if {
	ca_only_device_controls(p)
	count(managed_device_controls - {c | some c in grant_controls(p)}) == 0
	upper(str(p, ["grantControls", "operator"])) == "OR"
}

# CIS 5.2.2.9/5.2.2.10 recommend the same, and accept a compliant device alone.
ca_requires_managed_device_cis(p) if ca_requires_managed_device_scuba(p)

ca_requires_managed_device_cis(p) if {
	ca_only_device_controls(p)
	{c | some c in grant_controls(p)} == {"compliantDevice"}
}

ca_asks_managed_device(p) if {
	some c in grant_controls(p)
	c in managed_device_controls
}

phishing_resistant_modes := {"windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"}

# Built-in authentication strengths: 2 multifactor, 3 passwordless, 4 phishing-resistant.
builtin_mfa_strengths := {
	"00000000-0000-0000-0000-000000000002",
	"00000000-0000-0000-0000-000000000003",
	"00000000-0000-0000-0000-000000000004",
}

single_factor_modes := {"password", "sms", "voice", "email", "federatedSingleFactor", "x509CertificateSingleFactor"}

strength(p) := s if {
	s := p.grantControls.authenticationStrength
	is_object(s)
}

strength_combinations(p) := list(strength(p), ["allowedCombinations"])

strength_is_phishing_resistant(p) if {
	combos := strength_combinations(p)
	count(combos) > 0
	every c in combos {
		c in phishing_resistant_modes
	}
}

strength_is_phishing_resistant(p) if {
	count(strength_combinations(p)) == 0
	strength(p).id == "00000000-0000-0000-0000-000000000004"
}

strength_is_mfa(p) if strength(p).requirementsSatisfied == "mfa"

strength_is_mfa(p) if strength(p).id in builtin_mfa_strengths

strength_is_mfa(p) if {
	combos := strength_combinations(p)
	count(combos) > 0
	every c in combos {
		not c in single_factor_modes
	}
}

ca_requires_mfa(p) if "mfa" in grant_controls(p)

ca_requires_mfa(p) if strength_is_mfa(p)

# Roles a policy covers: every role when it targets all users, else its included roles.
ca_covers_role(p, role) if ca_all_users(p)

ca_covers_role(p, role) if role in list(p, ["conditions", "users", "includeRoles"])

# Like ca_broad, but for policies aimed at administrators: either all users or the listed roles.
ca_targets_admins(p) if {
	ca_enabled(p)
	ca_all_apps(p)
	ca_no_excluded_roles(p)
	ca_no_excluded_guests(p)
	ca_no_excluded_apps(p)
	ca_exclusions_only_emergency(p)
	ca_all_platforms(p)
}

# Like ca_broad_but_exclusions, for policies aimed at administrators.
ca_targets_admins_but_exclusions(p) if {
	ca_enabled(p)
	ca_all_apps(p)
	ca_no_excluded_guests(p)
	ca_no_excluded_apps(p)
	ca_all_platforms(p)
	not ca_targets_admins(p)
}

# The users, groups and roles a policy leaves out beyond the emergency-access accounts, as evidence.
ca_excluded_objects(p) := array.concat(
	array.concat(
		[evidence("user", id, id, sprintf("excluded from %s", [object.get(p, "displayName", p.id)])) |
			some id in list(p, ["conditions", "users", "excludeUsers"])
			not id in emergency_ids
		],
		[evidence("group", id, id, sprintf("excluded from %s", [object.get(p, "displayName", p.id)])) |
			some id in list(p, ["conditions", "users", "excludeGroups"])
			not id in emergency_ids
		],
	),
	[evidence("directoryRole", id, role_name(id), sprintf("excluded from %s", [object.get(p, "displayName", p.id)])) |
		some id in list(p, ["conditions", "users", "excludeRoles"])
	],
)

ca_evidence(p, detail) := evidence("conditionalAccessPolicy", p.id, object.get(p, "displayName", p.id), detail)

# Why a policy does not apply broadly, for evidence on policies that have the right controls.
ca_gaps(p) := concat("; ", [g | some g in [gap_state(p), gap_users(p), gap_apps(p), gap_roles(p), gap_guests(p), gap_excluded_apps(p), gap_exclusions(p), gap_platforms(p)]; g != ""])

gap_guests(p) := "" if ca_no_excluded_guests(p) else := sprintf("excludes guests or external users (%s)", [kinds]) if {
	kinds := str(p, ["conditions", "users", "excludeGuestsOrExternalUsers", "guestOrExternalUserTypes"])
	kinds != ""
} else := "excludes guests or external users"

gap_excluded_apps(p) := "" if ca_no_excluded_apps(p) else := sprintf("excludes applications: %s", [concat(", ", sort(list(p, ["conditions", "applications", "excludeApplications"])))])

gap_platforms(p) := "" if ca_all_platforms(p) else := sprintf("applies only to platforms %s", [concat(", ", list(p, ["conditions", "platforms", "includePlatforms"]))])

gap_state(p) := "" if ca_enabled(p) else := "state is report-only (enabledForReportingButNotEnforced); only enabled policies count" if {
	p.state == "enabledForReportingButNotEnforced"
} else := sprintf("state is %s (only enabled policies count)", [object.get(p, "state", "unknown")])

gap_users(p) := "" if ca_all_users(p) else := "users do not include All"

gap_apps(p) := "" if ca_all_apps(p) else := "applications do not include All"

gap_roles(p) := "" if ca_no_excluded_roles(p) else := "excludes directory roles"

gap_exclusions(p) := "" if ca_exclusions_only_emergency(p) else := sprintf("excludes users or groups other than emergency-access accounts: %s", [concat(", ", others)]) if {
	excluded := array.concat(
		list(p, ["conditions", "users", "excludeUsers"]),
		list(p, ["conditions", "users", "excludeGroups"]),
	)
	others := sort([id | some id in excluded; not id in emergency_ids])
}

# The usual shape of a Conditional Access control: pass when a broad policy meets the control's
# condition, else fail with the near misses (right controls, not broad) as evidence.
ca_result(matching, near, what) := result("pass", sprintf("%s is enforced by: %s", [what, concat(", ", sort([object.get(p, "displayName", p.id) | some p in matching]))]), [ca_evidence(p, "enforcing policy") | some p in matching]) if {
	count(matching) > 0
} else := result("fail", sprintf("%s is not enforced: no enabled Conditional Access policy that applies broadly does it (%d other policies have the right controls, see evidence)", [what, count(near)]), [ca_evidence(p, ca_gaps(p)) | some p in near])

# CIS 5.2.2.x: when no policy applies broadly but one would except for excluded users, groups or
# roles, CIS reads the exclusions as documented exceptions to review: a warning listing them.
cis_exceptions_result(exempted, what) := result(
	"warning",
	sprintf("%s is enforced by %s except for excluded users, groups or roles; CIS treats them as documented exceptions to review (see evidence)", [what, concat(", ", sort([object.get(p, "displayName", p.id) | some p in exempted]))]),
	array.concat(
		[ca_evidence(p, sprintf("enforcing policy with exclusions: %s", [ca_gaps(p)])) | some p in exempted],
		[e | some p in exempted; some e in ca_excluded_objects(p)],
	),
)

# ca_result for controls that CIS and SCuBA both reference: SCuBA's verdict is the control's, and
# CIS gets its own (a warning) when exclusions are all that stand between a policy and a pass.
ca_result_by_framework(matching, near, what) := with_framework(ca_result(matching, near, what), cis_framework, cis_exceptions_result(exempted, what)) if {
	count(matching) == 0
	exempted := [p | some p in near; ca_broad_but_exclusions(p)]
	count(exempted) > 0
} else := ca_result(matching, near, what)

# --- per-framework results -------------------------------------------------------------------------

cis_framework := "cis-m365-v7"

scuba_framework := "cisa-scuba"

# A control's result with the verdict of one framework that judges it differently. Frameworks not
# listed share the control's verdict (docs/tenant-document.md, "Per-framework results").
with_framework(r, framework, verdict) := object.union(r, {"by_framework": array.concat(
	[f | some f in object.get(r, "by_framework", []); f.framework != framework],
	[object.union(verdict, {"framework": framework})],
)})

# --- licence gates and singletons ------------------------------------------------------------------

licence_names := {"p1": "Microsoft Entra ID P1", "p2": "Microsoft Entra ID P2", "intune": "Microsoft Intune", "defender": "Microsoft Defender for Endpoint"}

# Undefined when the tenant has the licence; otherwise an error (licences unknown) or not_applicable.
requires_licence(licence) := result("error", sprintf("cannot tell whether the tenant has %s: %s", [licence_names[licence], missing_reason("subscribed_skus")]), []) if {
	not licences_known
} else := result("not_applicable", sprintf("requires %s, which the tenant is not licensed for", [licence_names[licence]]), []) if {
	input.tenant.licences[licence] != true
}

# For benchmarks that still apply without the licence (SCuBA's risk-based and PIM controls): the
# tenant cannot meet the control, so it fails; a third-party tool doing the job is declared through
# an exception. Undefined when the tenant has the licence; an error when licences are unknown.
licence_missing_fails(licence) := result("error", sprintf("cannot tell whether the tenant has %s: %s", [licence_names[licence], missing_reason("subscribed_skus")]), []) if {
	not licences_known
} else := result("fail", sprintf("requires %s, which the tenant is not licensed for; the benchmark still applies (declare a third-party tool that meets it through an exception)", [licence_names[licence]]), []) if {
	input.tenant.licences[licence] != true
}

# The first object of a single-object collection (authorizationPolicy, organization).
singleton(name) := items(name)[0]

# Error when a required single-object collection synced but holds nothing.
singleton_missing(name) := result("error", sprintf("%s synced but holds no object", [name]), []) if {
	collection_ok(name)
	count(items(name)) == 0
}

# Role members with a role among the privileged ones, tenant-wide.
role_members := list(input, ["derived", "role_members"])

privileged_users := object.get(input, ["derived", "privileged_users"], {})

eligibility_error := result("error", sprintf("eligible (PIM) role assignments unknown, counts would be short: %s", [eligibility_gap]), [])

# --- Global Administrators ------------------------------------------------------------------------

global_admin_members := [m | some m in role_members; m.role_template_id == global_admin_role]

# People (and service principals) holding Global Administrator, active or eligible, with groups
# expanded; a group whose members were not synced counts as one holder.
global_admin_holders := {m.principal_id: holder_detail(m.principal_id) |
	some m in global_admin_members
	counts_as_holder(m)
}

counts_as_holder(m) if m.principal_type != "group"

counts_as_holder(m) if {
	m.principal_type == "group"
	m.members_known == false
}

holder_detail(id) := {
	"kind": kind,
	"display_name": name,
	"how": concat("; ", sort({how_held(m) | some m in global_admin_members; m.principal_id == id})),
} if {
	some first in global_admin_members
	first.principal_id == id
	kind := first.principal_type
	name := first.principal_display_name
}

how_held(m) := sprintf("%s via group %s", [m.assignment, m.via_group]) if is_string(m.via_group) else := sprintf("%s assignment", [m.assignment])

unexpanded_groups := {m.principal_id | some m in global_admin_members; m.principal_type == "group"; m.members_known == false}

global_admin_count_result(low, high) := result("fail", sprintf("%d Global Administrators; at least %d are needed so one lost account does not lock the tenant out", [count(global_admin_holders), low]), ga_evidence) if {
	count(global_admin_holders) < low
} else := result("fail", sprintf("%d Global Administrators; at most %d keep the most powerful role rare", [count(global_admin_holders), high]), ga_evidence) if {
	count(global_admin_holders) > high
} else := result("warning", sprintf("%d Global Administrators counted, but the members of %d role-assignable groups were not synced (%s)", [count(global_admin_holders), count(unexpanded_groups), concat(", ", sort(unexpanded_groups))]), ga_evidence) if {
	count(unexpanded_groups) > 0
} else := result("pass", sprintf("%d Global Administrators (between %d and %d)", [count(global_admin_holders), low, high]), ga_evidence)

ga_evidence := [evidence(d.kind, id, d.display_name, d.how) | some id, d in global_admin_holders]

# --- authorization policy -------------------------------------------------------------------------

authorization_policy := singleton("authorization_policy")

authorization_evidence(detail) := evidence(
	"authorizationPolicy",
	object.get(authorization_policy, "id", "authorizationPolicy"),
	object.get(authorization_policy, "displayName", "Authorization Policy"),
	detail,
)

# --- account facts (derived.accounts, see docs/tenant-document.md) -----------------------------------

now_s := now_ns / 1000000000

cutoff_s(days) := now_s - (days * 86400)

member_accounts := list(input, ["derived", "accounts", "members"])

guest_accounts := list(input, ["derived", "accounts", "guests"])
