# PIM settings (role management policies) and schedules as the controls read them. The lib
# files other than posture.rego sort after it: under regorus a posture.lib module loaded before
# posture.rego left one of its rules undefined.
package posture.lib

# Policy assignments of directory roles, tenant-wide, each with `policy.rules` expanded.
role_policy_assignments := [a |
	some a in items("role_management_policy_assignments")
	object.get(a, "scopeType", "DirectoryRole") == "DirectoryRole"
	object.get(a, "scopeId", "/") == "/"
]

# The policy assignment of a role template (built-in role definition ids are their template ids).
role_policy_assignment(template) := a if {
	some a in role_policy_assignments
	a.roleDefinitionId == template
}

role_policy_id(a) := object.get(a, "policyId", object.get(a, ["policy", "id"], a.id))

role_policy_rule(a, rule_id) := r if {
	some r in list(a, ["policy", "rules"])
	r.id == rule_id
}

# Privileged roles whose policy assignment was synced without its rules (or not at all).
role_policies_without_rules(roles) := [t |
	some t in roles
	a := role_policy_assignment(t)
	not is_array(object.get(a, ["policy", "rules"], null))
]

roles_without_policy(roles) := [t | some t in roles; not role_policy_assignment(t)]

# Error when the PIM settings of some of `roles` are unknown; undefined otherwise.
role_policy_gap(roles) := result("error", sprintf("PIM settings not synced with their rules for: %s", [concat(", ", sort([role_name(t) | some t in unknown]))]), []) if {
	unknown := array.concat(role_policies_without_rules(roles), roles_without_policy(roles))
	count(unknown) > 0
}

role_policy_evidence(template, detail) := evidence("unifiedRoleManagementPolicy", role_policy_id(role_policy_assignment(template)), sprintf("%s PIM settings", [role_name(template)]), detail)

# A notification rule that mails someone beyond the default recipients (SCuBA: the security
# monitoring mailbox in "Additional recipients").
notifies_additional_recipients(template, rule_id) if {
	r := role_policy_rule(role_policy_assignment(template), rule_id)
	count(list(r, ["notificationRecipients"])) > 0
}

approval_required(template) if {
	r := role_policy_rule(role_policy_assignment(template), "Approval_EndUser_Assignment")
	r.setting.isApprovalRequired == true
}

privileged_role_admin_role := "e8611ab8-c189-46e8-94e1-60213ab1f814"

# Approval control result for one role: pass, or fail naming the role's policy.
activation_approval_result(template) := r if {
	r := role_policy_gap([template])
} else := result("pass", sprintf("activating %s requires approval (%d primary approvers named)", [role_name(template), count(approvers(template))]), []) if {
	approval_required(template)
} else := result("fail", sprintf("%s can be activated without approval", [role_name(template)]), [role_policy_evidence(template, "Approval_EndUser_Assignment: isApprovalRequired is not true")])

approvers(template) := [p |
	r := role_policy_rule(role_policy_assignment(template), "Approval_EndUser_Assignment")
	some stage in list(r, ["setting", "approvalStages"])
	some p in list(stage, ["primaryApprovers"])
]

# Alert control result over `roles`: each must mail additional recipients for every rule in
# `rule_ids`; `what` names the alert.
alert_result(roles, rule_ids, what) := r if {
	r := role_policy_gap(roles)
} else := result("pass", sprintf("%s alert a mailbox beyond the default recipients for %d privileged roles", [what, count(roles)]), []) if {
	count(alert_gaps(roles, rule_ids)) == 0
} else := result("fail", sprintf("%s do not alert a security mailbox for %d privileged roles: %s", [what, count(alert_gaps(roles, rule_ids)), concat(", ", sort([role_name(t) | some t, _ in alert_gaps(roles, rule_ids)]))]), [role_policy_evidence(t, sprintf("no additional recipients on %s", [concat(", ", absent)])) | some t, absent in alert_gaps(roles, rule_ids)])

alert_gaps(roles, rule_ids) := {t: absent |
	some t in roles
	absent := [id | some id in rule_ids; not notifies_additional_recipients(t, id)]
	count(absent) > 0
}
