//! The collections of a tenant document: which entity kinds it carries, under which key, and
//! whether the sync could read each of them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The entity kinds a document carries, with their key under `collections`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CollectionKind {
    Users,
    /// `{id, signInActivity}` per user; merged onto `users` by the builder.
    UserSignInActivity,
    UserRegistrationDetails,
    ConditionalAccessPolicies,
    NamedLocations,
    RoleAssignments,
    RoleDefinitions,
    RoleEligibilityInstances,
    RoleAssignmentInstances,
    AuthorizationPolicy,
    Organization,
    SubscribedSkus,
    AuthenticationMethodsPolicy,
    Domains,
    DirectorySettings,
    SharepointSettings,
    Groups,
    /// `{id, isAssignableToRole, namedBy, members}` per group whose members matter; the builder
    /// expands role-assignable groups and emergency-access exclusions with it.
    GroupTransitiveMembers,
    AdminConsentRequestPolicy,
    ActivityBasedTimeoutPolicies,
    DefaultAppManagementPolicy,
    AppManagementPolicies,
    DeviceRegistrationPolicy,
    CrossTenantAccessDefault,
    OnPremisesSynchronization,
    DelegatedPermissionClassifications,
    Applications,
    ServicePrincipals,
    GraphAppRoleAssignments,
    RoleManagementPolicyAssignments,
    RoleAssignmentSchedules,
    RoleEligibilitySchedules,
    AccessReviewDefinitions,
    ManagedDevices,
    DeviceCompliancePolicies,
    SecurityAlerts,
    SecurityIncidents,
    SecureScores,
    SecureScoreControlProfiles,
    ServiceHealthIssues,
    ServiceHealthOverviews,
    DefenderMachines,
    /// Defender for Endpoint's open vulnerabilities, one item per machine, CVE and product.
    DefenderVulnerabilities,
    DefenderRecommendations,
    DefenderAlerts,
    /// One item: the latest exposure score (`time`, `score`).
    DefenderExposureScore,
    /// One item: the latest device secure score (`time`, `score`).
    DefenderConfigurationScore,
    ExoRemoteDomains,
    ExoAcceptedDomains,
    ExoOrganizationConfig,
    ExoTransportConfig,
    ExoTransportRules,
    ExoDkimSigningConfig,
    ExoOutboundSpamPolicies,
    ExoAdminAuditLogConfig,
    ExoExternalInOutlook,
    ExoAntiPhishPolicies,
    ExoHostedContentFilterPolicies,
    ExoMalwareFilterPolicies,
    ExoSafeLinksPolicies,
    ExoSafeAttachmentPolicies,
    ExoProtectionPolicyRules,
    ExoSharedMailboxes,
    /// One item per accepted domain: its SPF, DMARC and DKIM records as DNS publishes them.
    DnsMailRecords,
    ExoSharingPolicies,
    ExoAtpPolicyForO365,
}

impl CollectionKind {
    pub const ALL: [CollectionKind; 66] = [
        CollectionKind::Users,
        CollectionKind::UserSignInActivity,
        CollectionKind::UserRegistrationDetails,
        CollectionKind::ConditionalAccessPolicies,
        CollectionKind::NamedLocations,
        CollectionKind::RoleAssignments,
        CollectionKind::RoleDefinitions,
        CollectionKind::RoleEligibilityInstances,
        CollectionKind::RoleAssignmentInstances,
        CollectionKind::AuthorizationPolicy,
        CollectionKind::Organization,
        CollectionKind::SubscribedSkus,
        CollectionKind::AuthenticationMethodsPolicy,
        CollectionKind::Domains,
        CollectionKind::DirectorySettings,
        CollectionKind::SharepointSettings,
        CollectionKind::Groups,
        CollectionKind::GroupTransitiveMembers,
        CollectionKind::AdminConsentRequestPolicy,
        CollectionKind::ActivityBasedTimeoutPolicies,
        CollectionKind::DefaultAppManagementPolicy,
        CollectionKind::AppManagementPolicies,
        CollectionKind::DeviceRegistrationPolicy,
        CollectionKind::CrossTenantAccessDefault,
        CollectionKind::OnPremisesSynchronization,
        CollectionKind::DelegatedPermissionClassifications,
        CollectionKind::Applications,
        CollectionKind::ServicePrincipals,
        CollectionKind::GraphAppRoleAssignments,
        CollectionKind::RoleManagementPolicyAssignments,
        CollectionKind::RoleAssignmentSchedules,
        CollectionKind::RoleEligibilitySchedules,
        CollectionKind::AccessReviewDefinitions,
        CollectionKind::ManagedDevices,
        CollectionKind::DeviceCompliancePolicies,
        CollectionKind::SecurityAlerts,
        CollectionKind::SecurityIncidents,
        CollectionKind::SecureScores,
        CollectionKind::SecureScoreControlProfiles,
        CollectionKind::ServiceHealthIssues,
        CollectionKind::ServiceHealthOverviews,
        CollectionKind::DefenderMachines,
        CollectionKind::DefenderVulnerabilities,
        CollectionKind::DefenderRecommendations,
        CollectionKind::DefenderAlerts,
        CollectionKind::DefenderExposureScore,
        CollectionKind::DefenderConfigurationScore,
        CollectionKind::ExoRemoteDomains,
        CollectionKind::ExoAcceptedDomains,
        CollectionKind::ExoOrganizationConfig,
        CollectionKind::ExoTransportConfig,
        CollectionKind::ExoTransportRules,
        CollectionKind::ExoDkimSigningConfig,
        CollectionKind::ExoOutboundSpamPolicies,
        CollectionKind::ExoAdminAuditLogConfig,
        CollectionKind::ExoExternalInOutlook,
        CollectionKind::ExoAntiPhishPolicies,
        CollectionKind::ExoHostedContentFilterPolicies,
        CollectionKind::ExoMalwareFilterPolicies,
        CollectionKind::ExoSafeLinksPolicies,
        CollectionKind::ExoSafeAttachmentPolicies,
        CollectionKind::ExoProtectionPolicyRules,
        CollectionKind::ExoSharedMailboxes,
        CollectionKind::DnsMailRecords,
        CollectionKind::ExoSharingPolicies,
        CollectionKind::ExoAtpPolicyForO365,
    ];

    /// The key under `collections` in the document, as policies name it.
    pub fn key(self) -> &'static str {
        match self {
            CollectionKind::Users => "users",
            CollectionKind::UserSignInActivity => "user_sign_in_activity",
            CollectionKind::UserRegistrationDetails => "user_registration_details",
            CollectionKind::ConditionalAccessPolicies => "conditional_access_policies",
            CollectionKind::NamedLocations => "named_locations",
            CollectionKind::RoleAssignments => "role_assignments",
            CollectionKind::RoleDefinitions => "role_definitions",
            CollectionKind::RoleEligibilityInstances => "role_eligibility_instances",
            CollectionKind::RoleAssignmentInstances => "role_assignment_instances",
            CollectionKind::AuthorizationPolicy => "authorization_policy",
            CollectionKind::Organization => "organization",
            CollectionKind::SubscribedSkus => "subscribed_skus",
            CollectionKind::AuthenticationMethodsPolicy => "authentication_methods_policy",
            CollectionKind::Domains => "domains",
            CollectionKind::DirectorySettings => "directory_settings",
            CollectionKind::SharepointSettings => "sharepoint_settings",
            CollectionKind::Groups => "groups",
            CollectionKind::GroupTransitiveMembers => "group_transitive_members",
            CollectionKind::AdminConsentRequestPolicy => "admin_consent_request_policy",
            CollectionKind::ActivityBasedTimeoutPolicies => "activity_based_timeout_policies",
            CollectionKind::DefaultAppManagementPolicy => "default_app_management_policy",
            CollectionKind::AppManagementPolicies => "app_management_policies",
            CollectionKind::DeviceRegistrationPolicy => "device_registration_policy",
            CollectionKind::CrossTenantAccessDefault => "cross_tenant_access_default",
            CollectionKind::OnPremisesSynchronization => "on_premises_synchronization",
            CollectionKind::DelegatedPermissionClassifications => "delegated_permission_classifications",
            CollectionKind::Applications => "applications",
            CollectionKind::ServicePrincipals => "service_principals",
            CollectionKind::GraphAppRoleAssignments => "graph_app_role_assignments",
            CollectionKind::RoleManagementPolicyAssignments => "role_management_policy_assignments",
            CollectionKind::RoleAssignmentSchedules => "role_assignment_schedules",
            CollectionKind::RoleEligibilitySchedules => "role_eligibility_schedules",
            CollectionKind::AccessReviewDefinitions => "access_review_definitions",
            CollectionKind::ManagedDevices => "managed_devices",
            CollectionKind::DeviceCompliancePolicies => "device_compliance_policies",
            CollectionKind::SecurityAlerts => "security_alerts",
            CollectionKind::SecurityIncidents => "security_incidents",
            CollectionKind::SecureScores => "secure_scores",
            CollectionKind::SecureScoreControlProfiles => "secure_score_control_profiles",
            CollectionKind::ServiceHealthIssues => "service_health_issues",
            CollectionKind::ServiceHealthOverviews => "service_health_overviews",
            CollectionKind::DefenderMachines => "defender_machines",
            CollectionKind::DefenderVulnerabilities => "defender_vulnerabilities",
            CollectionKind::DefenderRecommendations => "defender_recommendations",
            CollectionKind::DefenderAlerts => "defender_alerts",
            CollectionKind::DefenderExposureScore => "defender_exposure_score",
            CollectionKind::DefenderConfigurationScore => "defender_configuration_score",
            CollectionKind::ExoRemoteDomains => "exo_remote_domains",
            CollectionKind::ExoAcceptedDomains => "exo_accepted_domains",
            CollectionKind::ExoOrganizationConfig => "exo_organization_config",
            CollectionKind::ExoTransportConfig => "exo_transport_config",
            CollectionKind::ExoTransportRules => "exo_transport_rules",
            CollectionKind::ExoDkimSigningConfig => "exo_dkim_signing_config",
            CollectionKind::ExoOutboundSpamPolicies => "exo_outbound_spam_policies",
            CollectionKind::ExoAdminAuditLogConfig => "exo_admin_audit_log_config",
            CollectionKind::ExoExternalInOutlook => "exo_external_in_outlook",
            CollectionKind::ExoAntiPhishPolicies => "exo_anti_phish_policies",
            CollectionKind::ExoHostedContentFilterPolicies => "exo_hosted_content_filter_policies",
            CollectionKind::ExoMalwareFilterPolicies => "exo_malware_filter_policies",
            CollectionKind::ExoSafeLinksPolicies => "exo_safe_links_policies",
            CollectionKind::ExoSafeAttachmentPolicies => "exo_safe_attachment_policies",
            CollectionKind::ExoProtectionPolicyRules => "exo_protection_policy_rules",
            CollectionKind::ExoSharedMailboxes => "exo_shared_mailboxes",
            CollectionKind::DnsMailRecords => "dns_mail_records",
            CollectionKind::ExoSharingPolicies => "exo_sharing_policies",
            CollectionKind::ExoAtpPolicyForO365 => "exo_atp_policy_for_o365",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// Whether the sync could read an entity kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionStatus {
    Ok,
    /// Not readable (permission not granted, licence missing, never synced); `reason` says which.
    Missing,
}

/// One entity kind as synced: Graph JSON objects (the per-user kinds projected to
/// [`CollectionKind::fields`] by the builder).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collection {
    pub status: CollectionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default)]
    pub items: Vec<Value>,
}

impl Collection {
    pub fn ok(items: Vec<Value>) -> Self {
        Collection {
            status: CollectionStatus::Ok,
            reason: None,
            items,
        }
    }

    /// A kind the sync could not read, with the reason as the sync classified it, e.g.
    /// `"403 Authorization_RequestDenied: AuditLog.Read.All not granted"`.
    pub fn missing(reason: impl Into<String>) -> Self {
        Collection {
            status: CollectionStatus::Missing,
            reason: Some(reason.into()),
            items: Vec::new(),
        }
    }

    pub fn is_ok(&self) -> bool {
        self.status == CollectionStatus::Ok
    }
}
