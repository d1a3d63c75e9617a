//! Ground truth: every object of a collection as the simulator serves it, addressed by the
//! Graph path (`users`, `identity/conditionalAccess/policies`, `groups/{id}/members`...) or by
//! `mde/<entity>` for Defender for Endpoint, or `exo/<cmdlet>` for Exchange Online. It sits above `tenant` because it reads the Graph
//! route table, which itself points into `Tenant`.

use serde_json::Value;

use crate::graph::endpoints::Kind;
use crate::graph::routes::resolve;
use crate::spec::GroundTruth;
use crate::tenant::Tenant;

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
    "roleManagement/directory/roleAssignmentSchedules",
    "policies/roleManagementPolicies",
    "policies/roleManagementPolicyAssignments",
    "identityGovernance/accessReviews/definitions",
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
    "mde/exposureScore",
    "mde/configurationScore",
    "exo/Get-AcceptedDomain",
    "exo/Get-AdminAuditLogConfig",
    "exo/Get-AntiPhishPolicy",
    "exo/Get-DkimSigningConfig",
    "exo/Get-EOPProtectionPolicyRule",
    "exo/Get-ExternalInOutlook",
    "exo/Get-HostedContentFilterPolicy",
    "exo/Get-HostedOutboundSpamFilterPolicy",
    "exo/Get-Mailbox",
    "exo/Get-MalwareFilterPolicy",
    "exo/Get-OrganizationConfig",
    "exo/Get-RemoteDomain",
    "exo/Get-SafeAttachmentPolicy",
    "exo/Get-SafeLinksPolicy",
    "exo/Get-TransportConfig",
    "exo/Get-TransportRule",
];

fn virtual_all(len: u32, get: impl Fn(u32) -> Option<Value>) -> Vec<Value> {
    (0..len).filter_map(get).collect()
}

/// Every object of `collection`, or `None` if the name is not a collection.
pub fn ground_truth(t: &Tenant, collection: &str) -> Option<GroundTruth> {
    let name = collection.trim_matches('/');
    let objects = if let Some(cmdlet) = name.strip_prefix("exo/") {
        t.exo_cmdlet_output(cmdlet, &Value::Object(Default::default()))?
    } else if let Some(rest) = name.strip_prefix("mde/") {
        match rest.to_ascii_lowercase().as_str() {
            "machines" => virtual_all(t.layout.machines, |i| t.mde_machine_json(i)),
            "alerts" => virtual_all(t.layout.alerts, |i| t.mde_alert_json(i)),
            "vulnerabilities" => t.mde_vulnerabilities_json(),
            "vulnerabilities/machinesvulnerabilities" => {
                virtual_all(t.mde_machine_vulns_len(), |i| t.mde_machine_vuln_json(i))
            }
            "recommendations" => t.mde_recommendations_json(),
            "exposurescore" => vec![t.mde_exposure_score_json()],
            "configurationscore" => vec![t.mde_configuration_score_json()],
            _ => return None,
        }
    } else {
        let segs: Vec<&str> = name.split('/').collect();
        let route = resolve(&segs, Some("rules"))?;
        match route.kind {
            Kind::Users => virtual_all(t.user_positions(), |p| t.user_json(p)),
            Kind::Groups => virtual_all(t.layout.groups, |g| t.group_json(g)),
            Kind::Members { group, transitive } => {
                let g = t.group_index(&group)?;
                if transitive {
                    t.transitive_members(g)
                        .iter()
                        .filter_map(|m| t.member_json(m))
                        .collect()
                } else {
                    (0..t.member_slots(g))
                        .filter_map(|i| t.member_at(g, i))
                        .filter_map(|m| t.member_json(&m))
                        .collect()
                }
            }
            Kind::Registration(None) => virtual_all(t.user_positions(), |p| t.registration_json(p)),
            Kind::RoleAssignments => t.role_assignments_json(),
            Kind::RolePolicies { .. } => t
                .role_policies_json()
                .into_iter()
                .map(|(mut p, rules)| {
                    p["rules"] = Value::Array(rules);
                    p
                })
                .collect(),
            Kind::Items { items, .. } => items(t),
            Kind::Single { get, .. } => vec![get(t)],
            Kind::Virtual { len, get, .. } => virtual_all(len(t), |i| get(t, i)),
            Kind::Apps(a) => crate::graph::apps::objects(t, &a)?,
            _ => return None,
        }
    };
    Some(GroundTruth {
        collection: name.to_string(),
        count: objects.len(),
        objects,
    })
}
