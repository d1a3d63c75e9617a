//! The entity catalog: every collection Posture reads, with the path, `$select` fields, resource,
//! throttling family, paging style, delta support, permissions and licence it needs. The sync
//! service iterates this table; the permission probe derives its checks from it.

use url::Url;

use crate::budget::ServiceFamily;
use crate::client::{ApiRequest, GraphClient};
use crate::cloud::Resource;
use crate::error::{GraphError, Licence};

mod permissions;
mod specs;

pub use permissions::{broader_permissions, roles_allow};

/// How a collection is paged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagingStyle {
    /// Graph: follow `@odata.nextLink` until absent.
    NextLink,
    /// Defender for Endpoint: `$top` + `$skip` (following `@odata.nextLink` when one is sent).
    TopSkip,
    /// Management Activity: a JSON array body, next page in the `NextPageUri` header.
    NextPageUri,
    /// One object, not a collection.
    Singleton,
}

macro_rules! entity_kinds {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// A kind of object Posture syncs.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EntityKind { $($variant),* }

        impl EntityKind {
            pub const ALL: &'static [EntityKind] = &[$(EntityKind::$variant),*];

            /// Stable snake_case name (storage keys, subjects, metrics).
            pub fn name(self) -> &'static str {
                match self { $(EntityKind::$variant => $name),* }
            }

            pub fn from_name(name: &str) -> Option<EntityKind> {
                match name { $($name => Some(EntityKind::$variant),)* _ => None }
            }
        }
    };
}

entity_kinds! {
    Users => "users",
    UserSignInActivity => "user_sign_in_activity",
    UserRegistrationDetails => "user_registration_details",
    ConditionalAccessPolicies => "conditional_access_policies",
    NamedLocations => "named_locations",
    RoleAssignments => "role_assignments",
    RoleDefinitions => "role_definitions",
    RoleEligibilityInstances => "role_eligibility_instances",
    RoleAssignmentInstances => "role_assignment_instances",
    AuthorizationPolicy => "authorization_policy",
    Organization => "organization",
    SubscribedSkus => "subscribed_skus",
    Groups => "groups",
    GroupTransitiveMembers => "group_transitive_members",
    ManagedDevices => "managed_devices",
    DeviceCompliancePolicies => "device_compliance_policies",
    AlertsV2 => "security_alerts",
    SecurityIncidents => "security_incidents",
    SecureScores => "secure_scores",
    SecureScoreControlProfiles => "secure_score_control_profiles",
    SharepointSettings => "sharepoint_settings",
    ServiceHealthIssues => "service_health_issues",
    ServiceHealthOverviews => "service_health_overviews",
    DirectoryAudits => "directory_audits",
    SignIns => "sign_ins",
    DefenderMachines => "defender_machines",
    DefenderVulnerabilities => "defender_vulnerabilities",
    DefenderRecommendations => "defender_recommendations",
    DefenderAlerts => "defender_alerts",
    DefenderExposureScore => "defender_exposure_score",
    DefenderConfigurationScore => "defender_configuration_score",
    ActivityContent => "activity_content",
    AuthenticationMethodsPolicy => "authentication_methods_policy",
    Domains => "domains",
    DirectorySettings => "directory_settings",
    AdminConsentRequestPolicy => "admin_consent_request_policy",
    ActivityBasedTimeoutPolicies => "activity_based_timeout_policies",
    DefaultAppManagementPolicy => "default_app_management_policy",
    AppManagementPolicies => "app_management_policies",
    DeviceRegistrationPolicy => "device_registration_policy",
    CrossTenantAccessDefault => "cross_tenant_access_default",
    OnPremisesSynchronization => "on_premises_synchronization",
    DelegatedPermissionClassifications => "delegated_permission_classifications",
    Applications => "applications",
    ServicePrincipals => "service_principals",
    GraphAppRoleAssignments => "graph_app_role_assignments",
    RoleManagementPolicyAssignments => "role_management_policy_assignments",
    RoleAssignmentSchedules => "role_assignment_schedules",
    RoleEligibilitySchedules => "role_eligibility_schedules",
    AccessReviewDefinitions => "access_review_definitions",
    ExoTransportRules => "exo_transport_rules",
    ExoRemoteDomains => "exo_remote_domains",
    ExoAcceptedDomains => "exo_accepted_domains",
    ExoOrganizationConfig => "exo_organization_config",
    ExoTransportConfig => "exo_transport_config",
    ExoDkimSigningConfig => "exo_dkim_signing_config",
    ExoAntiPhishPolicies => "exo_anti_phish_policies",
    ExoHostedContentFilterPolicies => "exo_hosted_content_filter_policies",
    ExoOutboundSpamPolicies => "exo_outbound_spam_policies",
    ExoMalwareFilterPolicies => "exo_malware_filter_policies",
    ExoSafeLinksPolicies => "exo_safe_links_policies",
    ExoSafeAttachmentPolicies => "exo_safe_attachment_policies",
    ExoProtectionPolicyRules => "exo_protection_policy_rules",
    ExoAdminAuditLogConfig => "exo_admin_audit_log_config",
    ExoExternalInOutlook => "exo_external_in_outlook",
    ExoSharedMailboxes => "exo_shared_mailboxes",
    DnsMailRecords => "dns_mail_records",
    ExoSharingPolicies => "exo_sharing_policies",
    ExoAtpPolicyForO365 => "exo_atp_policy_for_o365",
}

/// Static facts about one entity kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntitySpec {
    pub kind: EntityKind,
    pub resource: Resource,
    /// Relative to the resource base URL; `{tenant}` stands for the tenant id.
    pub path: &'static str,
    pub select: &'static [&'static str],
    /// `$top` to ask for (the documented maximum where one exists).
    pub page_size: Option<u32>,
    pub family: ServiceFamily,
    pub paging: PagingStyle,
    /// Relative path of the delta function, when the collection supports delta.
    pub delta_path: Option<&'static str>,
    /// A cheaper endpoint than `path` that needs the same permission, for the permission probe.
    pub probe_path: Option<&'static str>,
    /// Extra `$select` members for delta only (`members` makes group delta report `members@delta`).
    pub delta_select_extra: &'static [&'static str],
    /// Application permissions, all required.
    pub permissions: &'static [&'static str],
    /// Other permissions Microsoft documents for this endpoint that allow it instead of
    /// `permissions` (beyond the general [`broader_permissions`]).
    pub accepted_instead: &'static [&'static str],
    pub licence: Option<Licence>,
    /// Budget units per request (Graph identity resource units after the `$select` discount).
    pub cost: u32,
}

impl EntitySpec {
    /// The first-page URL: path plus `$select` and `$top` (none for `TopSkip`, which adds its own).
    /// Exchange kinds name a cmdlet as their path: every one is read at InvokeCommand.
    pub fn first_page_url(&self, client: &GraphClient) -> Result<Url, GraphError> {
        if self.resource == Resource::ExchangeOnline {
            return crate::exchange::invoke_url(client);
        }
        let mut url = self.url_for(client, self.path)?;
        {
            let mut q = url.query_pairs_mut();
            if !self.select.is_empty() {
                q.append_pair("$select", &self.select.join(","));
            }
            if let (Some(top), PagingStyle::NextLink) = (self.page_size, self.paging) {
                q.append_pair("$top", &top.to_string());
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        Ok(url)
    }

    /// `path` (with `{tenant}` filled in) under this entity's resource base URL.
    pub fn url_for(&self, client: &GraphClient, path: &str) -> Result<Url, GraphError> {
        client.url(self.resource, &path.replace("{tenant}", client.tenant_id()))
    }

    /// The first request for this collection, carrying budget and error-report facts.
    pub fn request(&self, client: &GraphClient) -> Result<ApiRequest, GraphError> {
        Ok(self.request_at(self.first_page_url(client)?))
    }

    /// A request for this entity at an arbitrary URL (a stored delta link, a probe URL); for
    /// Exchange kinds, the cmdlet's POST to that URL (the first page or a next link).
    pub fn request_at(&self, url: Url) -> ApiRequest {
        let mut req = if self.resource == Resource::ExchangeOnline {
            crate::exchange::request_at(url, self.path)
        } else {
            ApiRequest::get(self.resource, url, self.family)
        };
        req.family = self.family;
        req.cost = self.cost;
        req.needs = self.permissions;
        req.licence = self.licence;
        req
    }

    /// The initial delta URL with the same `$select`.
    pub fn delta_url(&self, client: &GraphClient) -> Result<Option<Url>, GraphError> {
        let Some(path) = self.delta_path else {
            return Ok(None);
        };
        let mut url = client.url(self.resource, path)?;
        let select: Vec<&str> = self
            .select
            .iter()
            .chain(self.delta_select_extra)
            .copied()
            .collect();
        if !select.is_empty() {
            url.query_pairs_mut().append_pair("$select", &select.join(","));
        }
        Ok(Some(url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_its_name_and_names_a_permission() {
        for kind in EntityKind::ALL {
            assert_eq!(EntityKind::from_name(kind.name()), Some(*kind));
            let spec = kind.spec();
            assert_eq!(spec.kind, *kind);
            assert!(!spec.permissions.is_empty(), "{} needs a permission", kind.name());
            assert!(!spec.path.starts_with('/'));
            if spec.resource == Resource::ExchangeOnline {
                // The mail DNS kind lists the accepted domains through Exchange, then asks DNS.
                assert!(
                    kind.name().starts_with("exo_") || *kind == EntityKind::DnsMailRecords,
                    "{}",
                    kind.name()
                );
                assert!(
                    spec.path.starts_with("Get-"),
                    "{} runs a read cmdlet",
                    kind.name()
                );
            }
        }
    }

    #[test]
    fn broader_permissions_satisfy_least_privileged_ones() {
        let roles = vec!["Directory.Read.All".to_owned()];
        assert!(roles_allow(&roles, "User.Read.All"));
        assert!(roles_allow(&roles, "GroupMember.Read.All"));
        assert!(!roles_allow(&roles, "AuditLog.Read.All"));
    }

    #[test]
    fn sign_in_activity_uses_the_smaller_page_and_its_own_budget() {
        let spec = EntityKind::UserSignInActivity.spec();
        assert_eq!(spec.page_size, Some(500));
        assert_eq!(spec.family, ServiceFamily::SignInActivity);
        assert!(spec.select.contains(&"signInActivity"));
        assert!(spec.permissions.contains(&"AuditLog.Read.All"));
    }
}
