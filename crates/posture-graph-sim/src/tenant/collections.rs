//! Ground truth: every object of a collection as the simulator serves it, addressed by the
//! Graph path (`users`, `identity/conditionalAccess/policies`, `groups/{id}/members`...) or by
//! `mde/<entity>` for Defender for Endpoint.

use serde_json::Value;

use super::Tenant;
use crate::graph::endpoints::{Kind, resolve};
use crate::spec::GroundTruth;

/// Collections listed by the admin API.
pub const COLLECTIONS: &[&str] = &[
    "users",
    "groups",
    "reports/authenticationMethods/userRegistrationDetails",
    "identity/conditionalAccess/policies",
    "identity/conditionalAccess/namedLocations",
    "directoryRoles",
    "roleManagement/directory/roleAssignments",
    "roleManagement/directory/roleDefinitions",
    "roleManagement/directory/roleEligibilityScheduleInstances",
    "roleManagement/directory/roleAssignmentScheduleInstances",
    "roleManagement/directory/roleEligibilitySchedules",
    "policies/roleManagementPolicies",
    "policies/roleManagementPolicyAssignments",
    "policies/authorizationPolicy",
    "policies/authenticationMethodsPolicy",
    "policies/identitySecurityDefaultsEnforcementPolicy",
    "policies/defaultAppManagementPolicy",
    "settings",
    "domains",
    "organization",
    "subscribedSkus",
    "applications",
    "servicePrincipals",
    "deviceManagement/managedDevices",
    "deviceManagement/deviceCompliancePolicies",
    "security/alerts_v2",
    "security/incidents",
    "security/secureScores",
    "security/secureScoreControlProfiles",
    "admin/sharepoint/settings",
    "admin/serviceAnnouncement/healthOverviews",
    "admin/serviceAnnouncement/issues",
    "auditLogs/directoryAudits",
    "auditLogs/signIns",
    "mde/machines",
    "mde/alerts",
    "mde/vulnerabilities",
    "mde/vulnerabilities/machinesVulnerabilities",
    "mde/recommendations",
];

fn virtual_all(len: u32, get: impl Fn(u32) -> Option<Value>) -> Vec<Value> {
    (0..len).filter_map(get).collect()
}

impl Tenant {
    /// Every object of `collection`, or `None` if the name is not a collection.
    pub fn ground_truth(&self, collection: &str) -> Option<GroundTruth> {
        let name = collection.trim_matches('/');
        let objects = if let Some(rest) = name.strip_prefix("mde/") {
            match rest.to_ascii_lowercase().as_str() {
                "machines" => virtual_all(self.layout.machines, |i| self.mde_machine_json(i)),
                "alerts" => virtual_all(self.layout.alerts, |i| self.mde_alert_json(i)),
                "vulnerabilities" => self.mde_vulnerabilities_json(),
                "vulnerabilities/machinesvulnerabilities" => {
                    virtual_all(self.mde_machine_vulns_len(), |i| self.mde_machine_vuln_json(i))
                }
                "recommendations" => self.mde_recommendations_json(),
                _ => return None,
            }
        } else {
            let segs: Vec<&str> = name.split('/').collect();
            let route = resolve(&segs, Some("rules"))?;
            match route.kind {
                Kind::Users => virtual_all(self.user_positions(), |p| self.user_json(p)),
                Kind::Groups => virtual_all(self.layout.groups, |g| self.group_json(g)),
                Kind::Members { group, transitive } => {
                    let g = self.group_index(&group)?;
                    if transitive {
                        self.transitive_members(g)
                            .iter()
                            .filter_map(|m| self.member_json(m))
                            .collect()
                    } else {
                        (0..self.member_slots(g))
                            .filter_map(|i| self.member_at(g, i))
                            .filter_map(|m| self.member_json(&m))
                            .collect()
                    }
                }
                Kind::Registration(None) => virtual_all(self.user_positions(), |p| self.registration_json(p)),
                Kind::RoleAssignments => self.role_assignments_json(),
                Kind::RolePolicies { .. } => self
                    .role_policies_json()
                    .into_iter()
                    .map(|(mut p, rules)| {
                        p["rules"] = Value::Array(rules);
                        p
                    })
                    .collect(),
                Kind::Items { items, .. } => items(self),
                Kind::Single { get, .. } => vec![get(self)],
                Kind::Virtual { len, get, .. } => virtual_all(len(self), |i| get(self, i)),
                _ => return None,
            }
        };
        Some(GroundTruth {
            collection: name.to_string(),
            count: objects.len(),
            objects,
        })
    }
}
