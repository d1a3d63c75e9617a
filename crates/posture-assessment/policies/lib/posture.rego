# Shared helpers for the built-in pack: collection status, result shapes, time arithmetic and the
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
	some m in list(input, ["derived", "role_members"])
	m.role_template_id == template_id
	n := m.role_display_name
	is_string(n)
} else := template_id

# Eligible (PIM) assignments are complete when their collection synced, or when the tenant is known
# to have no P2 (then there are none). Otherwise counts over role members would be silently short.
eligibility_gap := missing_reason("role_eligibility_instances") if {
	not collection_ok("role_eligibility_instances")
	not no_p2_known
}

no_p2_known if {
	licences_known
	not has_p2
}

# --- Conditional Access ---------------------------------------------------------------------------

ca_policies := items("conditional_access_policies")

ca_enabled(p) if p.state == "enabled"

ca_all_users(p) if "All" in list(p, ["conditions", "users", "includeUsers"])

ca_all_apps(p) if "All" in list(p, ["conditions", "applications", "includeApplications"])

ca_no_excluded_roles(p) if count(list(p, ["conditions", "users", "excludeRoles"])) == 0

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
# roles, user and group exclusions limited to the declared emergency-access accounts.
ca_broad(p) if {
	ca_enabled(p)
	ca_all_users(p)
	ca_all_apps(p)
	ca_no_excluded_roles(p)
	ca_exclusions_only_emergency(p)
}

grant_controls(p) := list(p, ["grantControls", "builtInControls"])

ca_blocks(p) if "block" in grant_controls(p)

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
	ca_exclusions_only_emergency(p)
}

ca_evidence(p, detail) := evidence("conditionalAccessPolicy", p.id, object.get(p, "displayName", p.id), detail)

# Why a policy does not apply broadly, for evidence on policies that have the right controls.
ca_gaps(p) := concat("; ", [g | some g in [gap_state(p), gap_users(p), gap_apps(p), gap_roles(p), gap_exclusions(p)]; g != ""])

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
