//! Directory roles, unified RBAC role definitions and assignments, and PIM schedules.

use base64::Engine;
use chrono::Duration;
use serde_json::{Value, json};

use super::Tenant;
use super::groups::GROUP_TIER0;
use super::roster::{self, GLOBAL_ADMIN};
use crate::clock::iso;
use crate::ids::{self, object_id};

/// Built-in role templates: (template id, display name, privileged).
pub const ROLE_TEMPLATES: &[(&str, &str, bool)] = &[
    (GLOBAL_ADMIN, "Global Administrator", true),
    ("f2ef992c-3afb-46b9-b7cf-a126ee74c451", "Global Reader", false),
    (
        roster::PRIVILEGED_ROLE_ADMIN,
        "Privileged Role Administrator",
        true,
    ),
    (
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        "Privileged Authentication Administrator",
        true,
    ),
    (roster::SECURITY_ADMIN, "Security Administrator", true),
    ("5d6b6bb7-de71-4623-b4af-96380a352509", "Security Reader", false),
    ("5f2222b1-57c3-48ba-8ad5-d4759f1fde6f", "Security Operator", false),
    (
        "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
        "Conditional Access Administrator",
        true,
    ),
    (roster::USER_ADMIN, "User Administrator", true),
    (roster::HELPDESK_ADMIN, "Helpdesk Administrator", false),
    (
        "c4e39bd9-1100-46d3-8c65-fb160da0071f",
        "Authentication Administrator",
        true,
    ),
    (
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "Application Administrator",
        true,
    ),
    (
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        "Cloud Application Administrator",
        true,
    ),
    (roster::EXCHANGE_ADMIN, "Exchange Administrator", true),
    (
        "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
        "SharePoint Administrator",
        true,
    ),
    (
        "69091246-20e8-4a56-aa4d-066075b2a7a8",
        "Teams Administrator",
        false,
    ),
    (
        "3a2c62db-5318-420d-8d74-23affee5d9d5",
        "Intune Administrator",
        false,
    ),
    (
        "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
        "Hybrid Identity Administrator",
        true,
    ),
    (
        "b0f54661-2d74-4c50-afa3-1ec803f12efe",
        "Billing Administrator",
        false,
    ),
    ("88d8e3e3-8f55-4a1e-953a-9b9898b8876b", "Directory Readers", false),
    (
        "d29b2b05-8046-44ba-8758-1e26182fcf32",
        "Directory Synchronization Accounts",
        false,
    ),
    ("4a5d8f65-41da-4de4-8968-e035b65339cf", "Reports Reader", false),
];

/// The privileged role template ids that Conditional Access policies for admins include.
pub fn privileged_templates() -> Vec<&'static str> {
    ROLE_TEMPLATES
        .iter()
        .filter(|(_, _, p)| *p)
        .map(|(id, _, _)| *id)
        .collect()
}

fn role_name(template: &str) -> &'static str {
    ROLE_TEMPLATES
        .iter()
        .find(|(id, _, _)| *id == template)
        .map_or("Custom role", |(_, n, _)| n)
}

/// An active role assignment: principal id, whether the principal is a group, role template.
#[derive(Clone, Debug)]
pub struct Assignment {
    pub id: String,
    pub principal_id: String,
    pub principal_is_group: bool,
    pub role: &'static str,
    pub permanent: bool,
}

impl Tenant {
    fn assignment_id(&self, k: u32) -> String {
        let mut bytes = [0u8; 24];
        for (i, chunk) in bytes.chunks_mut(8).enumerate() {
            chunk.copy_from_slice(
                &ids::hash3(self.seed, "role-assignment", u64::from(k) * 4 + i as u64).to_be_bytes(),
            );
        }
        format!(
            "{}-1",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        )
    }

    /// Active (permanent or activated) role assignments.
    pub fn assignments(&self) -> Vec<Assignment> {
        let r = &self.roster;
        let mut out = Vec::new();
        let mut k = 0;
        let mut push = |t: &Tenant, principal: String, group: bool, role: &'static str, permanent: bool| {
            out.push(Assignment {
                id: t.assignment_id(k),
                principal_id: principal,
                principal_is_group: group,
                role,
                permanent,
            });
            k += 1;
        };
        for p in &r.ga_active {
            if self.user_facts(*p).is_some() {
                push(self, self.user_id(*p), false, GLOBAL_ADMIN, true);
            }
        }
        if !r.ga_group_members.is_empty() {
            push(self, self.group_id(GROUP_TIER0), true, GLOBAL_ADMIN, true);
        }
        let hardened = self.profile() == crate::spec::Profile::Hardened;
        for (p, role) in &r.other_roles {
            if self.user_facts(*p).is_some() {
                push(self, self.user_id(*p), false, role, !hardened);
            }
        }
        for id in &self.overlay.extra_global_admins {
            push(self, id.clone(), false, GLOBAL_ADMIN, true);
        }
        out
    }

    pub fn role_definitions_json(&self) -> Vec<Value> {
        ROLE_TEMPLATES
            .iter()
            .map(|(id, name, _)| {
                json!({
                    "id": id,
                    "displayName": name,
                    "description": format!("Can manage {} features.", name.to_lowercase()),
                    "isBuiltIn": true,
                    "isEnabled": true,
                    "templateId": id,
                    "version": "1",
                    "resourceScopes": ["/"],
                    "rolePermissions": [{ "allowedResourceActions": [format!("microsoft.directory/{}/allProperties/read", name.to_lowercase().replace(' ', ""))], "condition": null }],
                })
            })
            .collect()
    }

    pub fn directory_role_id(&self, template: &str) -> String {
        let k = ROLE_TEMPLATES
            .iter()
            .position(|(id, _, _)| *id == template)
            .unwrap_or(0);
        object_id(self.seed, "directory-role", k as u32).to_string()
    }

    /// Activated directory roles (those with at least one assignment), with their member ids.
    pub fn directory_roles(&self) -> Vec<(Value, Vec<Value>)> {
        let assignments = self.assignments();
        let mut out = Vec::new();
        for (template, name, _) in ROLE_TEMPLATES {
            let members: Vec<&Assignment> = assignments.iter().filter(|a| a.role == *template).collect();
            if members.is_empty() && *template != GLOBAL_ADMIN {
                continue;
            }
            let role = json!({
                "id": self.directory_role_id(template),
                "displayName": name,
                "description": format!("Can manage {} features.", name.to_lowercase()),
                "roleTemplateId": template,
            });
            let member_json = members
                .iter()
                .filter_map(|a| {
                    let m = self.resolve_member(&a.principal_id);
                    self.member_json(&m)
                })
                .collect();
            out.push((role, member_json));
        }
        out
    }

    pub fn role_assignments_json(&self) -> Vec<Value> {
        self.assignments()
            .into_iter()
            .map(|a| {
                json!({
                    "id": a.id,
                    "principalId": a.principal_id,
                    "roleDefinitionId": a.role,
                    "directoryScopeId": "/",
                    "appScopeId": null,
                    "condition": null,
                    "principalOrganizationId": self.id.to_string(),
                })
            })
            .collect()
    }

    /// The principal of an assignment as `$expand=principal` embeds it.
    pub fn principal_json(&self, principal_id: &str) -> Value {
        let m = self.resolve_member(principal_id);
        self.member_json(&m).unwrap_or_else(
            || json!({ "@odata.type": "#microsoft.graph.directoryObject", "id": principal_id }),
        )
    }

    pub fn eligibility_instances_json(&self) -> Vec<Value> {
        self.roster
            .ga_eligible
            .iter()
            .filter(|p| self.user_facts(**p).is_some())
            .enumerate()
            .map(|(k, p)| {
                let start = self.epoch - Duration::days(120);
                json!({
                    "id": object_id(self.seed, "eligibility-instance", k as u32).to_string(),
                    "principalId": self.user_id(*p),
                    "roleDefinitionId": GLOBAL_ADMIN,
                    "directoryScopeId": "/",
                    "appScopeId": null,
                    "startDateTime": iso(start),
                    "endDateTime": iso(start + Duration::days(365)),
                    "memberType": "Direct",
                    "roleEligibilityScheduleId": object_id(self.seed, "eligibility-schedule", k as u32).to_string(),
                })
            })
            .collect()
    }

    pub fn eligibility_schedules_json(&self) -> Vec<Value> {
        self.eligibility_instances_json()
            .into_iter()
            .enumerate()
            .map(|(k, inst)| {
                json!({
                    "id": object_id(self.seed, "eligibility-schedule", k as u32).to_string(),
                    "principalId": inst["principalId"],
                    "roleDefinitionId": inst["roleDefinitionId"],
                    "directoryScopeId": "/",
                    "appScopeId": null,
                    "createdUsing": object_id(self.seed, "eligibility-schedule", k as u32).to_string(),
                    "createdDateTime": inst["startDateTime"],
                    "modifiedDateTime": null,
                    "status": "Provisioned",
                    "memberType": "Direct",
                    "scheduleInfo": {
                        "startDateTime": inst["startDateTime"],
                        "recurrence": null,
                        "expiration": { "type": "afterDateTime", "endDateTime": inst["endDateTime"], "duration": null }
                    },
                })
            })
            .collect()
    }

    pub fn assignment_instances_json(&self) -> Vec<Value> {
        self.assignments()
            .into_iter()
            .enumerate()
            .map(|(k, a)| {
                let start = self.epoch - Duration::days(200 + k as i64);
                let end = if a.permanent {
                    Value::Null
                } else {
                    json!(iso(start + Duration::days(365)))
                };
                json!({
                    "id": format!("{}-instance", a.id),
                    "principalId": a.principal_id,
                    "roleDefinitionId": a.role,
                    "directoryScopeId": "/",
                    "appScopeId": null,
                    "startDateTime": iso(start),
                    "endDateTime": end,
                    "assignmentType": "Assigned",
                    "memberType": "Direct",
                    "roleAssignmentOriginId": a.id,
                    "roleAssignmentScheduleId": a.id,
                })
            })
            .collect()
    }

    fn policy_id(&self, template: &str) -> String {
        format!(
            "Directory_{}_{}",
            self.id,
            object_id(self.seed, &format!("rmp-{template}"), 0)
        )
    }

    /// Role management policies for the privileged roles, each with the seventeen rules Entra
    /// keeps per role (ids as Graph names them). Approval to activate: Global and Privileged Role
    /// Administrator where the roster says so. Alert recipients (`notificationRecipients` of the
    /// Notification_Admin_* rules): every role on hardened, Global Administrator only on
    /// typical, none on neglected (Entra's default, which mails only the default recipients).
    pub fn role_policies_json(&self) -> Vec<(Value, Vec<Value>)> {
        privileged_templates()
            .into_iter()
            .map(|template| {
                let id = self.policy_id(template);
                let approval = (template == GLOBAL_ADMIN || template == roster::PRIVILEGED_ROLE_ADMIN) && self.roster.ga_activation_approval;
                let alerts = match self.profile() {
                    crate::spec::Profile::Hardened => true,
                    crate::spec::Profile::Typical => template == GLOBAL_ADMIN,
                    crate::spec::Profile::Neglected => false,
                };
                let policy = json!({
                    "id": id,
                    "displayName": "DirectoryRole",
                    "description": "DirectoryRole",
                    "isOrganizationDefault": false,
                    "scopeId": "/",
                    "scopeType": "DirectoryRole",
                    "lastModifiedDateTime": iso(self.epoch - Duration::days(30)),
                    "lastModifiedBy": null,
                });
                let recipients = if alerts {
                    json!([format!("secops@{}", self.domain)])
                } else {
                    json!([])
                };
                let approvers = if approval {
                    json!([{
                        "@odata.type": "#microsoft.graph.singleUser",
                        "userId": self.user_id(0),
                        "description": null,
                    }])
                } else {
                    json!([])
                };
                let hardened = self.profile() == crate::spec::Profile::Hardened;
                let mut rules = Vec::new();
                for (caller, level) in [("Admin", "Eligibility"), ("Admin", "Assignment"), ("EndUser", "Assignment")] {
                    let target = json!({
                        "caller": caller, "operations": ["all"], "level": level,
                        "inheritableSettings": [], "enforcedSettings": [],
                    });
                    let (expiry_required, max) = match (caller, level) {
                        ("Admin", "Eligibility") => (hardened, "P365D"),
                        ("Admin", _) => (hardened, "P180D"),
                        _ => (true, "PT8H"),
                    };
                    rules.push(json!({
                        "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
                        "id": format!("Expiration_{caller}_{level}"),
                        "isExpirationRequired": expiry_required,
                        "maximumDuration": max,
                        "target": target,
                    }));
                    let enabled: Value = match (caller, level) {
                        ("Admin", "Assignment") => json!(["Justification"]),
                        ("EndUser", _) => json!(["MultiFactorAuthentication", "Justification"]),
                        _ => json!([]),
                    };
                    rules.push(json!({
                        "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyEnablementRule",
                        "id": format!("Enablement_{caller}_{level}"),
                        "enabledRules": enabled,
                        "target": target,
                    }));
                    if caller == "EndUser" {
                        rules.push(json!({
                            "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule",
                            "id": "Approval_EndUser_Assignment",
                            "target": target,
                            "setting": {
                                "isApprovalRequired": approval,
                                "isApprovalRequiredForExtension": false,
                                "isRequestorJustificationRequired": true,
                                "approvalMode": "SingleStage",
                                "approvalStages": [{
                                    "approvalStageTimeOutInDays": 1,
                                    "isApproverJustificationRequired": true,
                                    "escalationTimeInMinutes": 0,
                                    "isEscalationEnabled": false,
                                    "primaryApprovers": approvers,
                                    "escalationApprovers": [],
                                }],
                            },
                        }));
                        rules.push(json!({
                            "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyAuthenticationContextRule",
                            "id": "AuthenticationContext_EndUser_Assignment",
                            "isEnabled": false,
                            "claimValue": null,
                            "target": target,
                        }));
                    }
                    for recipient in ["Admin", "Requestor", "Approver"] {
                        rules.push(json!({
                            "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyNotificationRule",
                            "id": format!("Notification_{recipient}_{caller}_{level}"),
                            "notificationType": "Email",
                            "recipientType": recipient,
                            "notificationLevel": "All",
                            "isDefaultRecipientsEnabled": true,
                            "notificationRecipients": if recipient == "Admin" { recipients.clone() } else { json!([]) },
                            "target": target,
                        }));
                    }
                }
                (policy, rules)
            })
            .collect()
    }

    /// A role management policy with its rules, as `$expand=policy($expand=rules)` embeds it.
    fn expanded_policy(&self, policy_id: &str, with_rules: bool) -> Value {
        self.role_policies_json()
            .into_iter()
            .find(|(p, _)| p["id"].as_str() == Some(policy_id))
            .map(|(mut p, rules)| {
                if with_rules {
                    p["rules"] = Value::Array(rules);
                }
                p
            })
            .unwrap_or(Value::Null)
    }

    /// Policy assignments with `$expand=policy`.
    pub fn role_policy_assignments_with_policy_json(&self) -> Vec<Value> {
        self.role_policy_assignments_expanded(false)
    }

    /// Policy assignments with `$expand=policy($expand=rules)`.
    pub fn role_policy_assignments_with_rules_json(&self) -> Vec<Value> {
        self.role_policy_assignments_expanded(true)
    }

    fn role_policy_assignments_expanded(&self, with_rules: bool) -> Vec<Value> {
        self.role_policy_assignments_json()
            .into_iter()
            .map(|mut a| {
                let id = a["policyId"].as_str().unwrap_or_default().to_string();
                a["policy"] = self.expanded_policy(&id, with_rules);
                a
            })
            .collect()
    }

    pub fn role_policy_assignments_json(&self) -> Vec<Value> {
        privileged_templates()
            .into_iter()
            .map(|template| {
                let policy = self.policy_id(template);
                json!({
                    "id": format!("{policy}_{template}"),
                    "policyId": policy,
                    "scopeId": "/",
                    "scopeType": "DirectoryRole",
                    "roleDefinitionId": template,
                })
            })
            .collect()
    }

    pub fn role_name(&self, template: &str) -> &'static str {
        role_name(template)
    }
}
