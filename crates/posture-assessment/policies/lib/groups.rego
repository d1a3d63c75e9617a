# Privilege held through groups: the document builder expands each role-assignable group holding
# a role into its members (derived.role_members with via_group); these rules say when it could not.
# Its own package: a second module of package posture.lib changes how regorus evaluates some of
# that package's rules (global_admin_count_test's eligibility case turns undefined).
package posture.grouplib

import data.posture.lib

# Groups holding a privileged role tenant-wide whose members the sync could not read: a control
# over privileged users would silently leave their members out.
privileged_groups_unexpanded := {m.principal_id |
	some m in lib.role_members
	m.principal_type == "group"
	m.members_known == false
	m.role_template_id in lib.privileged_roles
	m.directory_scope_id in {"/", ""}
}

group_members_reason := "the group is not among those whose members were synced" if {
	lib.collection_ok("group_transitive_members")
} else := lib.missing_reason("group_transitive_members")

# An error for the per-user privileged controls while any privileged group's members are unknown.
group_expansion_error := lib.result("error", sprintf("the members of %d groups holding privileged roles are unknown, so their members cannot be judged (%s): %s", [count(privileged_groups_unexpanded), concat(", ", sort(privileged_groups_unexpanded)), group_members_reason]), []) if {
	count(privileged_groups_unexpanded) > 0
}

# How a privileged user holds their roles, for evidence: "via group <id>" where a group gives them.
held_through(p) := "" if {
	count(lib.list(p, ["via_groups"])) == 0
} else := sprintf(" (through group %s)", [concat(", ", sort(lib.list(p, ["via_groups"])))])
