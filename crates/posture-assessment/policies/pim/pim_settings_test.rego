package posture.controls.pim_settings_test

import data.posture.controls.pim_assignment_alerts as assignment_alerts
import data.posture.controls.pim_ga_activation_alert as ga_alert
import data.posture.controls.pim_ga_activation_approval as ga_approval
import data.posture.controls.pim_pra_activation_approval as pra_approval
import data.posture.controls.pim_privileged_activation_alerts as other_alerts
import data.posture.testing

pra := "e8611ab8-c189-46e8-94e1-60213ab1f814"

notification(id, recipients) := {
	"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyNotificationRule",
	"id": id,
	"notificationType": "Email",
	"recipientType": "Admin",
	"notificationLevel": "All",
	"isDefaultRecipientsEnabled": true,
	"notificationRecipients": recipients,
}

approval(required) := {
	"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule",
	"id": "Approval_EndUser_Assignment",
	"setting": {"isApprovalRequired": required, "approvalMode": "SingleStage", "approvalStages": [{"primaryApprovers": [{"@odata.type": "#microsoft.graph.singleUser", "userId": "u-approver"}]}]},
}

# A role's policy assignment as `$expand=policy($expand=rules)` returns it.
assignment(role, approve, recipients) := {
	"id": sprintf("Directory_t_p-%s_%s", [role, role]),
	"policyId": sprintf("Directory_t_p-%s", [role]),
	"scopeId": "/",
	"scopeType": "DirectoryRole",
	"roleDefinitionId": role,
	"policy": {"id": sprintf("Directory_t_p-%s", [role]), "rules": [
		approval(approve),
		notification("Notification_Admin_Admin_Eligibility", recipients),
		notification("Notification_Admin_Admin_Assignment", recipients),
		notification("Notification_Admin_EndUser_Assignment", recipients),
		notification("Notification_Requestor_EndUser_Assignment", ["requestor@contoso.example"]),
	]},
}

policies(list) := testing.doc({"role_management_policy_assignments": testing.ok(list)})

all_roles(approve, recipients) := [assignment(r, approve, recipients) | some r in testing.privileged_roles]

secops := ["secops@contoso.example"]

ga_only(role) := secops if role == testing.global_admin else := []

# --- approval (MS.AAD.7.6v1 / CIS 5.3.4, CIS 5.3.5) ----------------------------------------------

test_ga_approval_required_passes if {
	r := ga_approval.result with input as policies(all_roles(true, secops))
	r.status == "pass"
	contains(r.reason, "1 primary approvers")
}

test_ga_without_approval_fails_naming_its_policy if {
	r := ga_approval.result with input as policies(all_roles(false, secops))
	r.status == "fail"
	r.evidence[0].id == sprintf("Directory_t_p-%s", [testing.global_admin])
	r.evidence[0].kind == "unifiedRoleManagementPolicy"
}

test_pra_approval_is_judged_on_its_own_policy if {
	list := [assignment(testing.global_admin, true, secops), assignment(pra, false, secops)]
	ga_approval.result.status == "pass" with input as policies(list)
	r := pra_approval.result with input as policies(list)
	r.status == "fail"
	contains(r.reason, "Privileged Role Administrator")
}

test_approval_without_p2_fails_requiring_p2 if {
	r := ga_approval.result with input as testing.doc_with(testing.without_p2)
	r.status == "fail"
	contains(r.reason, "requires Microsoft Entra ID P2")
}

test_policies_synced_without_rules_are_an_error if {
	a := object.remove(assignment(testing.global_admin, true, secops), ["policy"])
	r := ga_approval.result with input as policies([a])
	r.status == "error"
	contains(r.reason, "Global Administrator")
}

test_unreadable_policies_are_an_error_naming_the_permission if {
	r := ga_approval.result with input as testing.doc({"role_management_policy_assignments": testing.missing("403 Authorization_RequestDenied: RoleManagementPolicy.Read.Directory not granted")})
	r.status == "error"
	contains(r.reason, "RoleManagementPolicy.Read.Directory")
}

test_group_scoped_policies_are_not_directory_role_settings if {
	a := object.union(assignment(testing.global_admin, true, secops), {"scopeType": "Group", "scopeId": "g1"})
	r := ga_approval.result with input as policies([a])
	r.status == "error"
}

# --- alerts (MS.AAD.7.7v1, 7.8v1, 7.9v1) -----------------------------------------------------------

test_alerts_to_additional_recipients_pass_all_three if {
	doc := policies(all_roles(true, secops))
	assignment_alerts.result.status == "pass" with input as doc
	ga_alert.result.status == "pass" with input as doc
	other_alerts.result.status == "pass" with input as doc
}

test_default_recipients_only_fail_all_three if {
	doc := policies(all_roles(true, []))
	r := assignment_alerts.result with input as doc
	r.status == "fail"
	count(r.evidence) == count(testing.privileged_roles)
	contains(r.evidence[0].detail, "Notification_Admin_Admin_Eligibility")
	ga_alert.result.status == "fail" with input as doc
	o := other_alerts.result with input as doc
	o.status == "fail"
	count(o.evidence) == count(testing.privileged_roles) - 1
}

test_global_admin_alerts_alone_pass_only_7_8 if {
	list := [assignment(r, true, ga_only(r)) | some r in testing.privileged_roles]
	ga_alert.result.status == "pass" with input as policies(list)
	r := assignment_alerts.result with input as policies(list)
	r.status == "fail"
	ids := {e.id | some e in r.evidence}
	not sprintf("Directory_t_p-%s", [testing.global_admin]) in ids
	other_alerts.result.status == "fail" with input as policies(list)
}

test_eligible_alert_without_active_alert_fails_7_7 if {
	a := assignment(testing.global_admin, true, secops)
	rules := [rule | some rule in a.policy.rules; rule.id != "Notification_Admin_Admin_Assignment"]
	b := object.union(a, {"policy": {"rules": array.concat(rules, [notification("Notification_Admin_Admin_Assignment", [])])}})
	list := array.concat([b], [assignment(r, true, secops) | some r in testing.privileged_roles; r != testing.global_admin])
	r := assignment_alerts.result with input as policies(list)
	r.status == "fail"
	count(r.evidence) == 1
	contains(r.evidence[0].detail, "Notification_Admin_Admin_Assignment")
	not contains(r.evidence[0].detail, "Eligibility")
}

test_missing_role_policy_is_an_error if {
	list := [assignment(r, true, secops) | some r in testing.privileged_roles; r != pra]
	r := other_alerts.result with input as policies(list)
	r.status == "error"
	contains(r.reason, "Privileged Role Administrator")
}
