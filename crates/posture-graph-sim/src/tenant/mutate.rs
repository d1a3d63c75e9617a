//! Mutations applied through the admin API, each recorded in the delta change log.

use chrono::{DateTime, Utc};

use super::groups::MemberRef;
use super::{AddedUser, ChangeKind, Tenant};
use crate::error::SimError;
use crate::ids::object_id;
use crate::spec::Mutation;

/// An administrator's change as the directory audit log records it.
struct AdminAction<'a> {
    activity: &'static str,
    category: &'static str,
    service: &'static str,
    operation: &'static str,
    /// The changed object: id, display name, type.
    target: (&'a str, &'a str, &'static str),
    /// Changed properties: name, old value, new value (JSON text, as Entra writes them).
    modified: Vec<(&'static str, String, String)>,
}

/// A value as Entra's `modifiedProperties` write it: a JSON array of one string.
fn json_text(value: &str) -> String {
    serde_json::json!([value]).to_string()
}

impl Tenant {
    /// The administrator who makes the admin API's changes: the first active Global
    /// Administrator that is not a break-glass account, else the first eligible one.
    fn acting_admin(&self) -> Option<super::users::UserFacts> {
        let roster = &self.roster;
        roster
            .ga_active
            .iter()
            .find(|p| !roster.breakglass.contains(p))
            .or(roster.ga_eligible.first())
            .or(roster.ga_active.first())
            .and_then(|p| self.user_facts(*p))
    }

    /// Records a directory audit event of an administrator's change at `now`.
    fn admin_audit(&mut self, now: DateTime<Utc>, action: AdminAction<'_>) {
        let n = self.overlay.admin_audits.len() as u32;
        let actor = self.acting_admin();
        let (target_id, target_name, target_type) = action.target;
        let modified: Vec<serde_json::Value> = action
            .modified
            .into_iter()
            .map(|(name, old, new)| serde_json::json!({ "displayName": name, "oldValue": old, "newValue": new }))
            .collect();
        let event = serde_json::json!({
            "id": format!("Directory_{}", object_id(self.seed, "admin-audit", n)),
            "category": action.category,
            "correlationId": object_id(self.seed, "admin-audit-corr", n).to_string(),
            "result": "success", "resultReason": "",
            "activityDisplayName": action.activity,
            "activityDateTime": crate::clock::iso(now),
            "loggedByService": action.service,
            "operationType": action.operation,
            "initiatedBy": {
                "user": actor.map(|a| serde_json::json!({
                    "id": a.id, "displayName": null, "userPrincipalName": a.upn, "ipAddress": "203.0.113.10",
                })),
                "app": null,
            },
            "targetResources": [{
                "id": target_id,
                "displayName": if target_name.is_empty() { serde_json::Value::Null } else { target_name.into() },
                "type": target_type, "userPrincipalName": null, "groupType": null,
                "modifiedProperties": modified,
            }],
            "additionalDetails": [],
        });
        self.overlay.admin_audits.push(event);
    }

    fn not_found(&self, id: &str) -> SimError {
        SimError::NotFound {
            tenant: self.id.to_string(),
            id: id.to_string(),
        }
    }

    /// Sets a Conditional Access policy's state as an administrator editing it would: the
    /// policy's `modifiedDateTime` becomes `now`.
    fn set_ca_state(
        &mut self,
        policy_id: String,
        state: &str,
        now: DateTime<Utc>,
    ) -> Result<serde_json::Value, SimError> {
        let Some(before) = self
            .ca_policies_json()
            .into_iter()
            .find(|p| p["id"].as_str() == Some(policy_id.as_str()))
        else {
            return Err(self.not_found(&policy_id));
        };
        let name = before["displayName"].as_str().unwrap_or_default().to_owned();
        let old_state = before["state"].as_str().unwrap_or_default().to_owned();
        self.admin_audit(
            now,
            AdminAction {
                activity: "Update conditional access policy",
                category: "Policy",
                service: "Conditional Access",
                operation: "Update",
                target: (&policy_id, &name, "Policy"),
                modified: vec![("State", json_text(&old_state), json_text(state))],
            },
        );
        self.overlay
            .ca_states
            .insert(policy_id.clone(), (state.to_owned(), now));
        self.record_change(
            now,
            ChangeKind::Other(format!("conditionalAccessPolicy:{policy_id}")),
        );
        Ok(serde_json::json!({ "policyId": policy_id, "state": state }))
    }

    pub fn apply(&mut self, m: Mutation, now: DateTime<Utc>) -> Result<serde_json::Value, SimError> {
        match m {
            Mutation::AddGlobalAdmin { user_id } => {
                let id = match user_id {
                    Some(id) => {
                        let pos = self.user_pos(&id).ok_or_else(|| self.not_found(&id))?;
                        self.user_id(pos)
                    }
                    None => {
                        let n = self.overlay.added_users.len() as u32;
                        let id = object_id(self.seed, "added-user", n);
                        self.overlay.added_users.push(AddedUser {
                            id,
                            display_name: format!("Added Admin {}", n + 1),
                            guest: false,
                            created: now,
                        });
                        self.record_change(
                            now,
                            ChangeKind::User {
                                id: id.to_string(),
                                removed: false,
                            },
                        );
                        id.to_string()
                    }
                };
                self.admin_audit(
                    now,
                    AdminAction {
                        activity: "Add member to role",
                        category: "RoleManagement",
                        service: "Core Directory",
                        operation: "Assign",
                        target: (&id, "", "User"),
                        modified: vec![("Role.DisplayName", "[]".into(), json_text("Global Administrator"))],
                    },
                );
                self.overlay.extra_global_admins.push(id.clone());
                self.record_change(now, ChangeKind::Other(format!("roleAssignment:{id}")));
                Ok(serde_json::json!({ "userId": id }))
            }
            Mutation::DisableCaPolicy { policy_id } => self.set_ca_state(policy_id, "disabled", now),
            Mutation::SetCaPolicyState { policy_id, state } => {
                const ALLOWED: [&str; 3] = ["enabled", "disabled", "enabledForReportingButNotEnforced"];
                if !ALLOWED.contains(&state.as_str()) {
                    return Err(SimError::Invalid(format!(
                        "state must be one of {}, got '{state}'",
                        ALLOWED.join(", ")
                    )));
                }
                self.set_ca_state(policy_id, &state, now)
            }
            Mutation::SetSharepointSharing { sharing_capability } => {
                const ALLOWED: [&str; 4] = [
                    "disabled",
                    "externalUserSharingOnly",
                    "externalUserAndGuestSharing",
                    "existingExternalUserSharingOnly",
                ];
                if !ALLOWED.contains(&sharing_capability.as_str()) {
                    return Err(SimError::Invalid(format!(
                        "sharing_capability must be one of {}, got '{sharing_capability}'",
                        ALLOWED.join(", ")
                    )));
                }
                self.overlay.sharepoint_sharing = Some(sharing_capability.clone());
                self.record_change(now, ChangeKind::Other("sharepointSettings".into()));
                Ok(serde_json::json!({ "sharingCapability": sharing_capability }))
            }
            Mutation::AddUser {
                id,
                display_name,
                guest,
            } => {
                let n = self.overlay.added_users.len() as u32;
                let id = id.unwrap_or_else(|| object_id(self.seed, "added-user", n));
                if self.user_pos(&id.to_string()).is_some() {
                    return Err(SimError::Invalid(format!("a user with id {id} already exists")));
                }
                let name = display_name.unwrap_or_else(|| format!("New User {}", n + 1));
                self.admin_audit(
                    now,
                    AdminAction {
                        activity: "Add user",
                        category: "UserManagement",
                        service: "Core Directory",
                        operation: "Add",
                        target: (&id.to_string(), &name, "User"),
                        modified: vec![("DisplayName", "[]".into(), json_text(&name))],
                    },
                );
                self.overlay.added_users.push(AddedUser {
                    id,
                    display_name: name,
                    guest,
                    created: now,
                });
                self.record_change(
                    now,
                    ChangeKind::User {
                        id: id.to_string(),
                        removed: false,
                    },
                );
                Ok(serde_json::json!({ "userId": id }))
            }
            Mutation::DeleteUser { user_id } => {
                let pos = self.user_pos(&user_id).ok_or_else(|| self.not_found(&user_id))?;
                let id = self.user_id(pos);
                self.admin_audit(
                    now,
                    AdminAction {
                        activity: "Delete user",
                        category: "UserManagement",
                        service: "Core Directory",
                        operation: "Delete",
                        target: (&id, "", "User"),
                        modified: vec![],
                    },
                );
                self.overlay.deleted_users.insert(pos);
                self.record_change(
                    now,
                    ChangeKind::User {
                        id: id.clone(),
                        removed: true,
                    },
                );
                Ok(serde_json::json!({ "userId": id }))
            }
            Mutation::UpdateUser {
                user_id,
                account_enabled,
                display_name,
            } => {
                let pos = self.user_pos(&user_id).ok_or_else(|| self.not_found(&user_id))?;
                if pos >= self.layout.users {
                    let k = (pos - self.layout.users) as usize;
                    if let (Some(name), Some(u)) = (display_name.clone(), self.overlay.added_users.get_mut(k))
                    {
                        u.display_name = name;
                    }
                } else {
                    let o = self.overlay.user_overrides.entry(pos).or_default();
                    if account_enabled.is_some() {
                        o.account_enabled = account_enabled;
                    }
                    if display_name.is_some() {
                        o.display_name = display_name.clone();
                    }
                }
                let id = self.user_id(pos);
                let mut modified = Vec::new();
                if let Some(enabled) = account_enabled {
                    modified.push((
                        "AccountEnabled",
                        format!("[{}]", !enabled),
                        format!("[{enabled}]"),
                    ));
                }
                if let Some(name) = &display_name {
                    modified.push(("DisplayName", "[]".into(), json_text(name)));
                }
                self.admin_audit(
                    now,
                    AdminAction {
                        activity: "Update user",
                        category: "UserManagement",
                        service: "Core Directory",
                        operation: "Update",
                        target: (&id, "", "User"),
                        modified,
                    },
                );
                self.record_change(
                    now,
                    ChangeKind::User {
                        id: id.clone(),
                        removed: false,
                    },
                );
                Ok(serde_json::json!({ "userId": id }))
            }
            Mutation::AddGroupMember { group_id, member_id } => {
                let g = self
                    .group_index(&group_id)
                    .ok_or_else(|| self.not_found(&group_id))?;
                let member = self.resolve_member(&member_id);
                if matches!(member, MemberRef::Id(_)) {
                    return Err(self.not_found(&member_id));
                }
                let id = self.member_id(&member);
                let already = (0..self.member_slots(g))
                    .any(|i| self.member_at(g, i).is_some_and(|m| self.member_id(&m) == id));
                if already {
                    return Err(SimError::Invalid(format!(
                        "{id} is already a member of group {group_id}"
                    )));
                }
                let was_removed = self
                    .overlay
                    .group_removed
                    .get_mut(&g)
                    .is_some_and(|s| s.remove(&id));
                if !was_removed {
                    self.overlay.group_added.entry(g).or_default().push(id.clone());
                }
                self.admin_audit(
                    now,
                    AdminAction {
                        activity: "Add member to group",
                        category: "GroupManagement",
                        service: "Core Directory",
                        operation: "Assign",
                        target: (&id, "", "User"),
                        modified: vec![("Group.ObjectID", "[]".into(), json_text(&group_id))],
                    },
                );
                self.record_change(
                    now,
                    ChangeKind::GroupMembers {
                        group: g,
                        added: vec![id.clone()],
                        removed: vec![],
                    },
                );
                Ok(serde_json::json!({ "groupId": group_id, "memberId": id }))
            }
            Mutation::RemoveGroupMember { group_id, member_id } => {
                let g = self
                    .group_index(&group_id)
                    .ok_or_else(|| self.not_found(&group_id))?;
                let id = member_id.to_ascii_lowercase();
                let present = (0..self.member_slots(g))
                    .any(|i| self.member_at(g, i).is_some_and(|m| self.member_id(&m) == id));
                if !present {
                    return Err(SimError::Invalid(format!(
                        "{member_id} is not a member of group {group_id}"
                    )));
                }
                self.overlay
                    .group_removed
                    .entry(g)
                    .or_default()
                    .insert(id.clone());
                self.admin_audit(
                    now,
                    AdminAction {
                        activity: "Remove member from group",
                        category: "GroupManagement",
                        service: "Core Directory",
                        operation: "Unassign",
                        target: (&id, "", "User"),
                        modified: vec![("Group.ObjectID", json_text(&group_id), "[]".into())],
                    },
                );
                self.record_change(
                    now,
                    ChangeKind::GroupMembers {
                        group: g,
                        added: vec![],
                        removed: vec![id.clone()],
                    },
                );
                Ok(serde_json::json!({ "groupId": group_id, "memberId": id }))
            }
            Mutation::MeasureDefenderScores {
                exposure_score,
                configuration_score,
            } => {
                if !(0.0..=100.0).contains(&exposure_score) || configuration_score < 0 {
                    return Err(SimError::Invalid(format!(
                        "exposure_score must be 0 to 100 and configuration_score at least 0, got {exposure_score} and {configuration_score}"
                    )));
                }
                self.overlay.mde_scores = Some((now, exposure_score, configuration_score));
                Ok(serde_json::json!({
                    "time": crate::clock::iso(now),
                    "exposureScore": exposure_score,
                    "configurationScore": configuration_score,
                }))
            }
            Mutation::SetExchangeRole { assigned } => {
                self.exchange_role = assigned;
                Ok(serde_json::json!({ "exchangeRole": assigned }))
            }
            Mutation::SetAppPermissions { permissions } => {
                self.granted = crate::permissions::grant(permissions.as_deref());
                let granted: Vec<&String> = self.granted.values().flatten().collect();
                Ok(serde_json::json!({ "grantedPermissions": granted }))
            }
            Mutation::SetDnsFailure { failure } => {
                self.dns_failure = failure;
                Ok(serde_json::json!({ "dnsFailure": failure }))
            }
        }
    }
}
