//! The permission probe behind a connection test: for the entity kinds Posture syncs, check each
//! required permission against the token's `roles` claim and with the cheapest real call
//! (`$top=1&$select=id`), so missing consent is reported by permission name, and licence gates
//! apart from permissions.

use std::collections::BTreeMap;

use crate::catalog::{EntityKind, EntitySpec, PagingStyle, roles_allow};
use crate::client::GraphClient;
use crate::cloud::Resource;
use crate::error::{GraphError, HealthClass, Licence};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionState {
    Granted,
    /// Not in the token's roles, or the probe call was refused for lack of it.
    Missing,
    /// Granted, but the tenant lacks the licence the probed data needs.
    LicenceGated(Licence),
    /// Granted, but the service also wants a role assigned to the app (Exchange Online), which
    /// it lacks; the text names the role.
    RoleMissing(String),
    /// The probe could not decide (throttled, service error); the detail says why.
    Unknown(String),
}

#[derive(Debug, Clone)]
pub struct PermissionCheck {
    pub permission: String,
    pub resource: Resource,
    /// Whether the token's `roles` claim lists the permission.
    pub in_token_roles: bool,
    /// The entity whose endpoint was called to check it, if a call was made.
    pub probed_with: Option<EntityKind>,
    pub state: PermissionState,
}

#[derive(Debug, Default)]
pub struct ProbeReport {
    pub checks: Vec<PermissionCheck>,
    /// Resources for which no token could be obtained.
    pub token_failures: Vec<(Resource, GraphError)>,
}

impl ProbeReport {
    fn names(&self, want: impl Fn(&PermissionState) -> bool) -> Vec<&str> {
        self.checks
            .iter()
            .filter(|c| want(&c.state))
            .map(|c| c.permission.as_str())
            .collect()
    }

    pub fn granted(&self) -> Vec<&str> {
        self.names(|s| *s == PermissionState::Granted)
    }

    pub fn missing(&self) -> Vec<&str> {
        self.names(|s| *s == PermissionState::Missing)
    }

    pub fn licence_gated(&self) -> Vec<(&str, Licence)> {
        self.checks
            .iter()
            .filter_map(|c| match c.state {
                PermissionState::LicenceGated(l) => Some((c.permission.as_str(), l)),
                _ => None,
            })
            .collect()
    }

    /// The connection health this probe implies; `None` when everything needed is usable.
    pub fn health(&self) -> Option<HealthClass> {
        if !self.token_failures.is_empty() {
            return Some(HealthClass::AuthenticationError);
        }
        let role_missing = self
            .checks
            .iter()
            .any(|c| matches!(c.state, PermissionState::RoleMissing(_)));
        if !self.missing().is_empty() || role_missing {
            return Some(HealthClass::PermissionError);
        }
        if self
            .checks
            .iter()
            .any(|c| matches!(c.state, PermissionState::Unknown(_)))
        {
            return Some(HealthClass::ServiceError);
        }
        None
    }
}

/// The entity whose endpoint checks `permission` most cheaply: one needing only that permission,
/// preferring one without a licence gate (so the answer is about the permission), then the kinds
/// being synced, then the lowest cost.
fn cheapest_probe(permission: &str, wanted: &[EntityKind]) -> Option<EntitySpec> {
    EntityKind::ALL
        .iter()
        .map(|k| k.spec())
        .filter(|s| s.permissions == [permission])
        .min_by_key(|s| (s.licence.is_some(), !wanted.contains(&s.kind), s.cost, s.kind))
}

fn probe_url(client: &GraphClient, spec: &EntitySpec) -> Result<url::Url, GraphError> {
    if let Some(path) = spec.probe_path {
        return spec.url_for(client, path);
    }
    // Exchange's cmdlets are POSTs with no cheaper form: the kind's own first page is the probe.
    if spec.resource == Resource::ExchangeOnline {
        return spec.first_page_url(client);
    }
    let mut url = spec.url_for(client, spec.path)?;
    match spec.paging {
        PagingStyle::Singleton | PagingStyle::NextPageUri => {}
        PagingStyle::TopSkip => {
            url.query_pairs_mut().append_pair("$top", "1");
        }
        // `$select=id` only where the entity is read with `$select` at all: some services
        // (security alerts) accept no projection.
        _ if spec.select.is_empty() => {
            url.query_pairs_mut().append_pair("$top", "1");
        }
        _ => {
            url.query_pairs_mut()
                .append_pair("$top", "1")
                .append_pair("$select", "id");
        }
    }
    Ok(url)
}

/// Probe every permission the given entity kinds need.
pub async fn probe_permissions(client: &GraphClient, kinds: &[EntityKind]) -> ProbeReport {
    let mut needed: BTreeMap<(Resource, &'static str), ()> = BTreeMap::new();
    for kind in kinds {
        let spec = kind.spec();
        for p in spec.permissions {
            needed.insert((spec.resource, p), ());
        }
    }
    let mut report = ProbeReport::default();
    let mut tokens = BTreeMap::new();
    let mut gated = BTreeMap::new();
    for resource in needed
        .keys()
        .map(|(r, _)| *r)
        .collect::<std::collections::BTreeSet<_>>()
    {
        match client.tokens().token(resource).await {
            Ok(t) => {
                tokens.insert(resource, t);
            }
            // Without Defender for Endpoint the tenant has no such resource (AADSTS500011): the
            // permissions are not missing, the licence is.
            Err(GraphError::Authentication {
                aadsts: Some(500011), ..
            }) if resource == Resource::DefenderForEndpoint => {
                gated.insert(resource, Licence::DefenderForEndpointP2);
            }
            Err(e) => report.token_failures.push((resource, e)),
        }
    }
    for (resource, permission) in needed.into_keys() {
        if let Some(licence) = gated.get(&resource) {
            report.checks.push(PermissionCheck {
                permission: permission.to_owned(),
                resource,
                in_token_roles: false,
                probed_with: None,
                state: PermissionState::LicenceGated(*licence),
            });
            continue;
        }
        let Some(token) = tokens.get(&resource) else {
            continue;
        };
        let in_roles = roles_allow(token.roles(), permission);
        let probe = cheapest_probe(permission, kinds);
        let (state, probed_with) = match (in_roles, probe) {
            (false, _) => (PermissionState::Missing, None),
            (true, None) => (PermissionState::Granted, None),
            (true, Some(spec)) => (probe_call(client, &spec).await, Some(spec.kind)),
        };
        report.checks.push(PermissionCheck {
            permission: permission.to_owned(),
            resource,
            in_token_roles: in_roles,
            probed_with,
            state,
        });
    }
    report
}

async fn probe_call(client: &GraphClient, spec: &EntitySpec) -> PermissionState {
    let url = match probe_url(client, spec) {
        Ok(u) => u,
        Err(e) => return PermissionState::Unknown(e.to_string()),
    };
    match client.execute(&spec.request_at(url)).await {
        // Defender answers 404 when a tenant has no recent machines: the call was authorised.
        Ok(_) | Err(GraphError::NotFound { .. }) => PermissionState::Granted,
        Err(GraphError::Permission { .. }) => PermissionState::Missing,
        Err(GraphError::LicenceMissing { licence, .. }) => PermissionState::LicenceGated(licence),
        Err(GraphError::RoleMissing { role, .. }) => PermissionState::RoleMissing(role),
        Err(other) => PermissionState::Unknown(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_prefer_synced_unlicensed_single_permission_endpoints() {
        let audit = cheapest_probe("AuditLog.Read.All", &[EntityKind::UserSignInActivity]);
        assert_eq!(audit.map(|s| s.kind), Some(EntityKind::DirectoryAudits));
        let users = cheapest_probe("User.Read.All", &[]);
        assert_eq!(users.map(|s| s.kind), Some(EntityKind::Users));
        let policy = cheapest_probe("Policy.Read.All", &[EntityKind::NamedLocations]);
        assert_eq!(policy.map(|s| s.kind), Some(EntityKind::AuthorizationPolicy));
        let pim = cheapest_probe("RoleEligibilitySchedule.Read.Directory", &[]);
        assert_eq!(pim.map(|s| s.kind), Some(EntityKind::RoleEligibilityInstances));
    }
}
