//! Application permissions per resource: what Posture needs, and how a requested list of
//! permission names is split across Graph, Defender for Endpoint, the Management API and
//! Exchange Online's admin API.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A resource a token can be issued for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Resource {
    Graph,
    Mde,
    Manage,
    Exchange,
}

impl Resource {
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Graph => "graph",
            Resource::Mde => "mde",
            Resource::Manage => "manage",
            Resource::Exchange => "exchange",
        }
    }

    /// The `aud` claim of tokens for this resource.
    pub fn audience(self) -> &'static str {
        match self {
            Resource::Graph => "https://graph.microsoft.com",
            Resource::Mde => "https://api.securitycenter.microsoft.com",
            Resource::Manage => "https://manage.office.com",
            Resource::Exchange => "https://outlook.office365.com",
        }
    }

    /// The resource app id (service principal appId) of the API.
    pub fn app_id(self) -> &'static str {
        match self {
            Resource::Graph => "00000003-0000-0000-c000-000000000000",
            Resource::Mde => "fc780465-2017-40d4-a0c5-307022471b92",
            Resource::Manage => "c5393580-f805-4401-95e8-94b7a6ef2fc2",
            Resource::Exchange => "00000002-0000-0ff1-ce00-000000000000",
        }
    }
}

/// Graph application permissions Posture asks for.
pub const GRAPH_NEEDED: &[&str] = &[
    "AccessReview.Read.All",
    "AuditLog.Read.All",
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementManagedDevices.Read.All",
    "Directory.Read.All",
    "Domain.Read.All",
    "GroupMember.Read.All",
    "GroupSettings.Read.All",
    "OnPremDirectorySynchronization.Read.All",
    "Organization.Read.All",
    "Policy.Read.All",
    "Policy.Read.DeviceConfiguration",
    "RoleManagement.Read.Directory",
    "RoleEligibilitySchedule.Read.Directory",
    "RoleAssignmentSchedule.Read.Directory",
    "RoleManagementPolicy.Read.Directory",
    "SecurityAlert.Read.All",
    "SecurityEvents.Read.All",
    "SecurityIncident.Read.All",
    "ServiceHealth.Read.All",
    "SharePointTenantSettings.Read.All",
    "User.Read.All",
    "Application.Read.All",
];

/// Defender for Endpoint application permissions Posture asks for.
pub const MDE_NEEDED: &[&str] = &[
    "Alert.Read.All",
    "Machine.Read.All",
    "Score.Read.All",
    "SecurityRecommendation.Read.All",
    "Vulnerability.Read.All",
];

pub const MDE_KNOWN: &[&str] = &[
    "Alert.Read.All",
    "Alert.ReadWrite.All",
    "Machine.Read.All",
    "Machine.ReadWrite.All",
    "Score.Read.All",
    "SecurityRecommendation.Read.All",
    "Vulnerability.Read.All",
    "AdvancedQuery.Read.All",
    "Software.Read.All",
];

pub const MANAGE_NEEDED: &[&str] = &["ActivityFeed.Read"];

/// The Office 365 Exchange Online application permission the admin API needs (with a role).
pub const EXCHANGE_NEEDED: &[&str] = &["Exchange.ManageAsApp"];

/// Which resource a permission name belongs to (`mde:` / `manage:` / `exchange:` prefixes force one).
pub fn resource_of(name: &str) -> (Resource, &str) {
    if let Some(rest) = name.strip_prefix("mde:") {
        return (Resource::Mde, rest);
    }
    if let Some(rest) = name.strip_prefix("manage:") {
        return (Resource::Manage, rest);
    }
    if let Some(rest) = name.strip_prefix("exchange:") {
        return (Resource::Exchange, rest);
    }
    if name.starts_with("Exchange.") {
        return (Resource::Exchange, name);
    }
    if let Some(rest) = name.strip_prefix("graph:") {
        return (Resource::Graph, rest);
    }
    if name.starts_with("ActivityFeed.") {
        return (Resource::Manage, name);
    }
    if MDE_KNOWN.contains(&name) {
        return (Resource::Mde, name);
    }
    (Resource::Graph, name)
}

/// Splits requested permissions per resource; `None` grants everything Posture needs.
pub fn grant(requested: Option<&[String]>) -> BTreeMap<Resource, Vec<String>> {
    let mut out: BTreeMap<Resource, Vec<String>> = BTreeMap::new();
    match requested {
        None => {
            out.insert(
                Resource::Graph,
                GRAPH_NEEDED.iter().map(|s| s.to_string()).collect(),
            );
            out.insert(Resource::Mde, MDE_NEEDED.iter().map(|s| s.to_string()).collect());
            out.insert(
                Resource::Manage,
                MANAGE_NEEDED.iter().map(|s| s.to_string()).collect(),
            );
            out.insert(
                Resource::Exchange,
                EXCHANGE_NEEDED.iter().map(|s| s.to_string()).collect(),
            );
        }
        Some(list) => {
            for name in list {
                let (res, bare) = resource_of(name);
                let entry = out.entry(res).or_default();
                if !entry.iter().any(|p| p == bare) {
                    entry.push(bare.to_string());
                }
            }
        }
    }
    for list in out.values_mut() {
        list.sort();
    }
    out
}

/// True when `roles` holds any of `accepted`.
pub fn satisfies(roles: &[String], accepted: &[&str]) -> bool {
    accepted.is_empty() || roles.iter().any(|r| accepted.contains(&r.as_str()))
}
