//! Every catalog entity is readable from a fully licensed tenant with its `$select`, and parses
//! into its typed model.

use posture_graph::{EntityKind, GraphClient, GraphError, entity_pages, models};
use posture_graph_sim::TenantSpec;
use serde::de::DeserializeOwned;

use futures::StreamExt;

use crate::common::rig;

/// Records on the first page (later pages of large collections are covered by the paging tests).
async fn first_pages<T: DeserializeOwned + Send + 'static>(
    client: &GraphClient,
    kind: EntityKind,
) -> Result<usize, GraphError> {
    let mut stream = std::pin::pin!(entity_pages::<T>(client, &kind.spec())?);
    match stream.next().await {
        Some(page) => Ok(page?.records.len()),
        None => Ok(0),
    }
}

#[tokio::test]
async fn every_catalog_entity_reads_into_its_typed_model() {
    let r = rig(TenantSpec {
        users: 120,
        ..Default::default()
    })
    .await;
    let client = r
        .client()
        .with_budget(std::sync::Arc::new(posture_graph::InProcessBudget::new()));
    for kind in EntityKind::ALL {
        use EntityKind as K;
        let n = match kind {
            // Needs a content type and a started subscription: see activity.rs.
            K::ActivityContent => continue,
            K::Users | K::UserSignInActivity => first_pages::<models::User>(&client, *kind).await,
            K::UserRegistrationDetails => {
                first_pages::<models::UserRegistrationDetails>(&client, *kind).await
            }
            K::ConditionalAccessPolicies => {
                first_pages::<models::ConditionalAccessPolicy>(&client, *kind).await
            }
            K::NamedLocations => first_pages::<models::NamedLocation>(&client, *kind).await,
            K::RoleAssignments => first_pages::<models::RoleAssignment>(&client, *kind).await,
            K::RoleDefinitions => first_pages::<models::RoleDefinition>(&client, *kind).await,
            K::RoleEligibilityInstances | K::RoleAssignmentInstances => {
                first_pages::<models::RoleScheduleInstance>(&client, *kind).await
            }
            K::AuthorizationPolicy => first_pages::<models::AuthorizationPolicy>(&client, *kind).await,
            K::Organization => first_pages::<models::Organization>(&client, *kind).await,
            K::SubscribedSkus => first_pages::<models::SubscribedSku>(&client, *kind).await,
            K::Groups | K::GroupTransitiveMembers => first_pages::<models::Group>(&client, *kind).await,
            K::ManagedDevices => first_pages::<models::ManagedDevice>(&client, *kind).await,
            K::DeviceCompliancePolicies => {
                first_pages::<models::DeviceCompliancePolicy>(&client, *kind).await
            }
            K::AlertsV2 => first_pages::<models::SecurityAlert>(&client, *kind).await,
            K::SecureScores => first_pages::<models::SecureScore>(&client, *kind).await,
            K::SecurityIncidents | K::SecureScoreControlProfiles | K::ServiceHealthOverviews => {
                first_pages::<serde_json::Value>(&client, *kind).await
            }
            K::SharepointSettings => first_pages::<models::SharepointSettings>(&client, *kind).await,
            K::ServiceHealthIssues => first_pages::<models::ServiceHealthIssue>(&client, *kind).await,
            K::DirectoryAudits => first_pages::<models::DirectoryAudit>(&client, *kind).await,
            K::SignIns => first_pages::<serde_json::Value>(&client, *kind).await,
            K::DefenderMachines => first_pages::<models::DefenderMachine>(&client, *kind).await,
            K::DefenderVulnerabilities => first_pages::<models::MachineVulnerability>(&client, *kind).await,
            K::DefenderRecommendations
            | K::DefenderAlerts
            | K::DefenderExposureScore
            | K::DefenderConfigurationScore => first_pages::<serde_json::Value>(&client, *kind).await,
            // Configuration kept as Graph's JSON: no typed model.
            K::AuthenticationMethodsPolicy
            | K::Domains
            | K::DirectorySettings
            | K::AdminConsentRequestPolicy
            | K::ActivityBasedTimeoutPolicies
            | K::DefaultAppManagementPolicy
            | K::AppManagementPolicies
            | K::DeviceRegistrationPolicy
            | K::CrossTenantAccessDefault
            | K::OnPremisesSynchronization
            | K::DelegatedPermissionClassifications
            | K::RoleManagementPolicyAssignments
            | K::RoleAssignmentSchedules
            | K::RoleEligibilitySchedules
            | K::AccessReviewDefinitions => first_pages::<serde_json::Value>(&client, *kind).await,
            K::Applications | K::ServicePrincipals | K::GraphAppRoleAssignments => {
                first_pages::<serde_json::Value>(&client, *kind).await
            }
            // Exchange cmdlet output is kept as the cmdlet's PascalCase JSON; see exchange.rs.
            K::ExoTransportRules
            | K::ExoRemoteDomains
            | K::ExoAcceptedDomains
            | K::ExoOrganizationConfig
            | K::ExoTransportConfig
            | K::ExoDkimSigningConfig
            | K::ExoAntiPhishPolicies
            | K::ExoHostedContentFilterPolicies
            | K::ExoOutboundSpamPolicies
            | K::ExoMalwareFilterPolicies
            | K::ExoSafeLinksPolicies
            | K::ExoSafeAttachmentPolicies
            | K::ExoProtectionPolicyRules
            | K::ExoAdminAuditLogConfig
            | K::ExoExternalInOutlook
            | K::ExoSharedMailboxes
            | K::ExoSharingPolicies
            | K::ExoAtpPolicyForO365
            | K::DnsMailRecords => first_pages::<serde_json::Value>(&client, *kind).await,
        };
        let n = n.unwrap_or_else(|e| panic!("{}: {e}", kind.name()));
        // Some collections are legitimately empty in a typical tenant; the rest must have data.
        let always_populated = matches!(
            kind,
            K::Users
                | K::UserSignInActivity
                | K::Organization
                | K::SubscribedSkus
                | K::Groups
                | K::RoleDefinitions
                | K::RoleAssignments
                | K::AuthorizationPolicy
                | K::SharepointSettings
                | K::AuthenticationMethodsPolicy
                | K::Domains
                | K::DirectorySettings
                | K::AdminConsentRequestPolicy
                | K::DefaultAppManagementPolicy
                | K::DeviceRegistrationPolicy
                | K::CrossTenantAccessDefault
                | K::OnPremisesSynchronization
                | K::DelegatedPermissionClassifications
                | K::Applications
                | K::ServicePrincipals
                | K::GraphAppRoleAssignments
                | K::RoleManagementPolicyAssignments
                | K::RoleAssignmentSchedules
        );
        assert!(n > 0 || !always_populated, "{} returned nothing", kind.name());
    }
}
