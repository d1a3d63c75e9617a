//! The static facts of each entity kind: the table the sync and the probe are driven by.

use super::{EntityKind, EntitySpec, PagingStyle};
use crate::budget::ServiceFamily;
use crate::cloud::Resource;
use crate::error::Licence;

const ROLE_INSTANCE_FIELDS: &[&str] = &[
    "id",
    "principalId",
    "roleDefinitionId",
    "directoryScopeId",
    "appScopeId",
    "startDateTime",
    "endDateTime",
    "memberType",
];
const ROLE_ASSIGNMENT_INSTANCE_FIELDS: &[&str] = &[
    "id",
    "principalId",
    "roleDefinitionId",
    "directoryScopeId",
    "appScopeId",
    "startDateTime",
    "endDateTime",
    "memberType",
    "assignmentType",
];
const SKU_FIELDS: &[&str] = &[
    "id",
    "skuId",
    "skuPartNumber",
    "appliesTo",
    "capabilityStatus",
    "consumedUnits",
    "prepaidUnits",
    "servicePlans",
];
const HEALTH_ISSUE_FIELDS: &[&str] = &[
    "id",
    "title",
    "service",
    "feature",
    "classification",
    "status",
    "isResolved",
    "impactDescription",
    "startDateTime",
    "endDateTime",
    "lastModifiedDateTime",
];
const USER_FIELDS: &[&str] = &[
    "id",
    "userPrincipalName",
    "displayName",
    "mail",
    "accountEnabled",
    "userType",
    "externalUserState",
    "creationType",
    "createdDateTime",
    "lastPasswordChangeDateTime",
    "passwordPolicies",
    "onPremisesSyncEnabled",
    "onPremisesImmutableId",
    "externalUserStateChangeDateTime",
    "assignedLicenses",
    "usageLocation",
];
const USER_SIGN_IN_FIELDS: &[&str] = &[
    "id",
    "userPrincipalName",
    "displayName",
    "accountEnabled",
    "userType",
    "signInActivity",
];

const APPLICATION_FIELDS: &[&str] = &[
    "id",
    "appId",
    "displayName",
    "createdDateTime",
    "signInAudience",
    "publisherDomain",
    "verifiedPublisher",
    "passwordCredentials",
    "keyCredentials",
    "requiredResourceAccess",
    "tags",
];
const SERVICE_PRINCIPAL_FIELDS: &[&str] = &[
    "id",
    "appId",
    "displayName",
    "appDisplayName",
    "servicePrincipalType",
    "accountEnabled",
    "appOwnerOrganizationId",
    "signInAudience",
    "verifiedPublisher",
    "passwordCredentials",
    "keyCredentials",
    "appRoles",
    "appRoleAssignmentRequired",
    "tags",
];

impl EntityKind {
    pub fn spec(self) -> EntitySpec {
        use EntityKind as K;
        use PagingStyle::*;
        use Resource::{DefenderForEndpoint as Mde, Graph};
        use ServiceFamily as F;
        let s = |path, select, page_size, family, permissions: &'static [&'static str]| EntitySpec {
            kind: self,
            resource: Graph,
            path,
            select,
            page_size,
            family,
            paging: NextLink,
            delta_path: None,
            delta_select_extra: &[],
            probe_path: None,
            permissions,
            accepted_instead: &[],
            licence: None,
            cost: 1,
        };
        let exo = |cmdlet| EntitySpec {
            resource: Resource::ExchangeOnline,
            ..s(
                cmdlet,
                &[],
                None,
                F::ExchangeOnline,
                &[crate::exchange::MANAGE_AS_APP],
            )
        };
        match self {
            K::Users => EntitySpec {
                delta_path: Some("users/delta"),
                cost: 1,
                ..s("users", USER_FIELDS, Some(999), F::Identity, &["User.Read.All"])
            },
            K::UserSignInActivity => EntitySpec {
                licence: Some(Licence::EntraIdP1),
                ..s(
                    "users",
                    USER_SIGN_IN_FIELDS,
                    Some(500),
                    F::SignInActivity,
                    &["User.Read.All", "AuditLog.Read.All"],
                )
            },
            K::UserRegistrationDetails => EntitySpec {
                licence: Some(Licence::EntraIdP1),
                ..s(
                    "reports/authenticationMethods/userRegistrationDetails",
                    &[
                        "id",
                        "userPrincipalName",
                        "userDisplayName",
                        "userType",
                        "isAdmin",
                        "isMfaRegistered",
                        "isMfaCapable",
                        "isPasswordlessCapable",
                        "isSsprRegistered",
                        "isSsprEnabled",
                        "isSsprCapable",
                        "methodsRegistered",
                        "lastUpdatedDateTime",
                    ],
                    None,
                    F::IdentityReports,
                    &["AuditLog.Read.All"],
                )
            },
            K::ConditionalAccessPolicies => EntitySpec {
                licence: Some(Licence::EntraIdP1),
                ..s(
                    "identity/conditionalAccess/policies",
                    &[],
                    None,
                    F::ConditionalAccess,
                    &["Policy.Read.All"],
                )
            },
            K::NamedLocations => EntitySpec {
                licence: Some(Licence::EntraIdP1),
                ..s(
                    "identity/conditionalAccess/namedLocations",
                    &[],
                    None,
                    F::ConditionalAccess,
                    &["Policy.Read.All"],
                )
            },
            K::RoleAssignments => s(
                "roleManagement/directory/roleAssignments",
                &[
                    "id",
                    "principalId",
                    "roleDefinitionId",
                    "directoryScopeId",
                    "appScopeId",
                ],
                None,
                F::Identity,
                &["RoleManagement.Read.Directory"],
            ),
            K::RoleDefinitions => s(
                "roleManagement/directory/roleDefinitions",
                &[
                    "id",
                    "displayName",
                    "description",
                    "isBuiltIn",
                    "isEnabled",
                    "templateId",
                    "rolePermissions",
                ],
                None,
                F::Identity,
                &["RoleManagement.Read.Directory"],
            ),
            K::RoleEligibilityInstances => EntitySpec {
                licence: Some(Licence::EntraIdP2),
                ..s(
                    "roleManagement/directory/roleEligibilityScheduleInstances",
                    ROLE_INSTANCE_FIELDS,
                    None,
                    F::Identity,
                    &["RoleEligibilitySchedule.Read.Directory"],
                )
            },
            K::RoleAssignmentInstances => EntitySpec {
                licence: Some(Licence::EntraIdP2),
                ..s(
                    "roleManagement/directory/roleAssignmentScheduleInstances",
                    ROLE_ASSIGNMENT_INSTANCE_FIELDS,
                    None,
                    F::Identity,
                    &["RoleAssignmentSchedule.Read.Directory"],
                )
            },
            K::AuthorizationPolicy => EntitySpec {
                paging: Singleton,
                ..s(
                    "policies/authorizationPolicy",
                    &[],
                    None,
                    F::Identity,
                    &["Policy.Read.All"],
                )
            },
            K::Organization => s(
                "organization",
                &[
                    "id",
                    "displayName",
                    "verifiedDomains",
                    "assignedPlans",
                    "countryLetterCode",
                    "createdDateTime",
                    "tenantType",
                    "onPremisesSyncEnabled",
                    "technicalNotificationMails",
                    "securityComplianceNotificationMails",
                ],
                None,
                F::Identity,
                &["Organization.Read.All"],
            ),
            K::SubscribedSkus => EntitySpec {
                cost: 2,
                ..s(
                    "subscribedSkus",
                    SKU_FIELDS,
                    None,
                    F::Identity,
                    &["Organization.Read.All"],
                )
            },
            K::Groups => EntitySpec {
                delta_path: Some("groups/delta"),
                delta_select_extra: &["members"],
                ..s(
                    "groups",
                    &[
                        "id",
                        "displayName",
                        "mail",
                        "mailEnabled",
                        "securityEnabled",
                        "groupTypes",
                        "membershipRule",
                        "isAssignableToRole",
                        "visibility",
                        "createdDateTime",
                        "onPremisesSyncEnabled",
                        "membershipRuleProcessingState",
                    ],
                    Some(999),
                    F::Identity,
                    &["GroupMember.Read.All"],
                )
            },
            // The role-assignable groups; the sync adds the groups Conditional Access names and
            // reads each one's `groups/{id}/transitiveMembers` (5 resource units a page).
            K::GroupTransitiveMembers => EntitySpec {
                cost: 5,
                ..s(
                    "groups",
                    &["id", "displayName", "isAssignableToRole"],
                    Some(999),
                    F::Identity,
                    &["GroupMember.Read.All"],
                )
            },
            K::ManagedDevices => EntitySpec {
                licence: Some(Licence::Intune),
                ..s(
                    "deviceManagement/managedDevices",
                    &[
                        "id",
                        "deviceName",
                        "userId",
                        "userPrincipalName",
                        "operatingSystem",
                        "osVersion",
                        "complianceState",
                        "lastSyncDateTime",
                        "enrolledDateTime",
                        "managedDeviceOwnerType",
                        "managementAgent",
                        "isEncrypted",
                        "jailBroken",
                        "azureADDeviceId",
                        "model",
                        "manufacturer",
                    ],
                    None,
                    F::IntuneDevices,
                    &["DeviceManagementManagedDevices.Read.All"],
                )
            },
            K::DeviceCompliancePolicies => EntitySpec {
                licence: Some(Licence::Intune),
                ..s(
                    "deviceManagement/deviceCompliancePolicies",
                    &[],
                    None,
                    F::IntuneConfiguration,
                    &["DeviceManagementConfiguration.Read.All"],
                )
            },
            K::AlertsV2 => s(
                "security/alerts_v2",
                &[],
                None,
                F::Security,
                &["SecurityAlert.Read.All"],
            ),
            K::SecurityIncidents => s(
                "security/incidents",
                &[],
                Some(50),
                F::Security,
                &["SecurityIncident.Read.All"],
            ),
            // One score per day, newest first; `$top=90` is the history Graph keeps.
            K::SecureScores => s(
                "security/secureScores",
                &[],
                Some(90),
                F::Security,
                &["SecurityEvents.Read.All"],
            ),
            K::SecureScoreControlProfiles => s(
                "security/secureScoreControlProfiles",
                &[],
                None,
                F::Security,
                &["SecurityEvents.Read.All"],
            ),
            K::SharepointSettings => EntitySpec {
                paging: Singleton,
                ..s(
                    "admin/sharepoint/settings",
                    &[],
                    None,
                    F::OtherGraph,
                    &["SharePointTenantSettings.Read.All"],
                )
            },
            K::ServiceHealthIssues => s(
                "admin/serviceAnnouncement/issues",
                HEALTH_ISSUE_FIELDS,
                None,
                F::ServiceHealth,
                &["ServiceHealth.Read.All"],
            ),
            K::ServiceHealthOverviews => s(
                "admin/serviceAnnouncement/healthOverviews",
                &["id", "service", "status"],
                None,
                F::ServiceHealth,
                &["ServiceHealth.Read.All"],
            ),
            K::DirectoryAudits => s(
                "auditLogs/directoryAudits",
                &[],
                None,
                F::IdentityReports,
                &["AuditLog.Read.All"],
            ),
            K::SignIns => EntitySpec {
                licence: Some(Licence::EntraIdP1),
                ..s(
                    "auditLogs/signIns",
                    &[],
                    Some(1000),
                    F::IdentityReports,
                    &["AuditLog.Read.All"],
                )
            },
            K::DefenderMachines => EntitySpec {
                resource: Mde,
                paging: TopSkip,
                licence: Some(Licence::DefenderForEndpointP2),
                ..s(
                    "machines",
                    &[],
                    Some(10_000),
                    F::DefenderForEndpoint,
                    &["Machine.Read.All"],
                )
            },
            K::DefenderVulnerabilities => EntitySpec {
                resource: Mde,
                paging: TopSkip,
                licence: Some(Licence::DefenderForEndpointP2),
                ..s(
                    "vulnerabilities/machinesVulnerabilities",
                    &[],
                    Some(10_000),
                    F::DefenderForEndpoint,
                    &["Vulnerability.Read.All"],
                )
            },
            K::DefenderRecommendations => EntitySpec {
                resource: Mde,
                paging: TopSkip,
                licence: Some(Licence::DefenderForEndpointP2),
                ..s(
                    "recommendations",
                    &[],
                    Some(10_000),
                    F::DefenderForEndpoint,
                    &["SecurityRecommendation.Read.All"],
                )
            },
            K::DefenderAlerts => EntitySpec {
                resource: Mde,
                paging: TopSkip,
                licence: Some(Licence::DefenderForEndpointP2),
                ..s(
                    "alerts",
                    &[],
                    Some(10_000),
                    F::DefenderForEndpoint,
                    &["Alert.Read.All"],
                )
            },
            // The tenant's current score, one object with the time Defender measured it.
            K::DefenderExposureScore => EntitySpec {
                resource: Mde,
                paging: Singleton,
                licence: Some(Licence::DefenderForEndpointP2),
                ..s(
                    "exposureScore",
                    &[],
                    None,
                    F::DefenderForEndpoint,
                    &["Score.Read.All"],
                )
            },
            K::DefenderConfigurationScore => EntitySpec {
                resource: Mde,
                paging: Singleton,
                licence: Some(Licence::DefenderForEndpointP2),
                ..s(
                    "configurationScore",
                    &[],
                    None,
                    F::DefenderForEndpoint,
                    &["Score.Read.All"],
                )
            },
            K::AuthenticationMethodsPolicy => EntitySpec {
                paging: Singleton,
                ..s(
                    "policies/authenticationMethodsPolicy",
                    &[],
                    None,
                    F::Identity,
                    &["Policy.Read.All"],
                )
            },
            K::Domains => s("domains", &[], None, F::Identity, &["Domain.Read.All"]),
            K::DirectorySettings => s(
                "groupSettings",
                &[],
                None,
                F::Identity,
                &["GroupSettings.Read.All"],
            ),
            K::AdminConsentRequestPolicy => EntitySpec {
                paging: Singleton,
                accepted_instead: &[
                    "Policy.ReadWrite.ConsentRequest",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                ],
                ..s(
                    "policies/adminConsentRequestPolicy",
                    &[],
                    None,
                    F::Identity,
                    &["Policy.Read.All"],
                )
            },
            K::ActivityBasedTimeoutPolicies => s(
                "policies/activityBasedTimeoutPolicies",
                &[],
                None,
                F::Identity,
                &["Policy.Read.All"],
            ),
            K::DefaultAppManagementPolicy => EntitySpec {
                paging: Singleton,
                ..s(
                    "policies/defaultAppManagementPolicy",
                    &[],
                    None,
                    F::Identity,
                    &["Policy.Read.All"],
                )
            },
            K::AppManagementPolicies => s(
                "policies/appManagementPolicies",
                &[],
                None,
                F::Identity,
                &["Policy.Read.All"],
            ),
            // v1.0; application access needs Policy.Read.DeviceConfiguration (Policy.Read.All
            // is accepted for delegated calls only).
            K::DeviceRegistrationPolicy => EntitySpec {
                paging: Singleton,
                ..s(
                    "policies/deviceRegistrationPolicy",
                    &[],
                    None,
                    F::Identity,
                    &["Policy.Read.DeviceConfiguration"],
                )
            },
            K::CrossTenantAccessDefault => EntitySpec {
                paging: Singleton,
                ..s(
                    "policies/crossTenantAccessPolicy/default",
                    &[],
                    None,
                    F::Identity,
                    &["Policy.Read.All"],
                )
            },
            // Learn's API page lists only the delegated permission; the application permission
            // of the same name exists, and a tenant that refuses it fails this kind alone.
            K::OnPremisesSynchronization => s(
                "directory/onPremisesSynchronization",
                &[],
                None,
                F::Identity,
                &["OnPremDirectorySynchronization.Read.All"],
            ),
            // Microsoft Graph's service principal, addressed by its appId (no lookup of its id).
            K::DelegatedPermissionClassifications => s(
                "servicePrincipals(appId='00000003-0000-0000-c000-000000000000')/delegatedPermissionClassifications",
                &[],
                None,
                F::Identity,
                &["Application.Read.All"],
            ),
            // App registrations with their credentials (Graph never returns secret values on GET).
            // Learn's known limits: a directory query that expands gets at most 100 objects a page.
            K::Applications => EntitySpec {
                cost: 2,
                ..s(
                    "applications",
                    APPLICATION_FIELDS,
                    None,
                    F::Identity,
                    &["Application.Read.All"],
                )
            },
            K::ServicePrincipals => s(
                "servicePrincipals",
                SERVICE_PRINCIPAL_FIELDS,
                Some(999),
                F::Identity,
                &["Application.Read.All"],
            ),
            // Every application permission granted on Microsoft Graph, read once on Graph's service
            // principal (by its appId) instead of once per service principal.
            K::GraphAppRoleAssignments => s(
                "servicePrincipals(appId='00000003-0000-0000-c000-000000000000')/appRoleAssignedTo",
                &[],
                Some(999),
                F::Identity,
                &["Application.Read.All"],
            ),
            // PIM settings of every directory role: the sync asks for the directory-role scope
            // and expands each assignment's policy with its rules (`$expand=policy($expand=rules)`).
            K::RoleManagementPolicyAssignments => EntitySpec {
                licence: Some(Licence::EntraIdP2),
                ..s(
                    "policies/roleManagementPolicyAssignments",
                    &[],
                    None,
                    F::Identity,
                    &["RoleManagementPolicy.Read.Directory"],
                )
            },
            K::RoleAssignmentSchedules => EntitySpec {
                licence: Some(Licence::EntraIdP2),
                ..s(
                    "roleManagement/directory/roleAssignmentSchedules",
                    &[],
                    None,
                    F::Identity,
                    &["RoleAssignmentSchedule.Read.Directory"],
                )
            },
            K::RoleEligibilitySchedules => EntitySpec {
                licence: Some(Licence::EntraIdP2),
                ..s(
                    "roleManagement/directory/roleEligibilitySchedules",
                    &[],
                    None,
                    F::Identity,
                    &["RoleEligibilitySchedule.Read.Directory"],
                )
            },
            // Entra ID P2 or ID Governance.
            K::AccessReviewDefinitions => EntitySpec {
                licence: Some(Licence::EntraIdP2),
                ..s(
                    "identityGovernance/accessReviews/definitions",
                    &[],
                    None,
                    F::Identity,
                    &["AccessReview.Read.All"],
                )
            },
            // Listing content needs a contentType and a subscription; the sync adds both.
            K::ActivityContent => EntitySpec {
                resource: Resource::ManagementActivity,
                paging: NextPageUri,
                probe_path: Some("{tenant}/activity/feed/subscriptions/list"),
                ..s(
                    "{tenant}/activity/feed/subscriptions/content",
                    &[],
                    None,
                    F::ManagementActivity,
                    &["ActivityFeed.Read"],
                )
            },
            // Exchange Online: the path is the cmdlet (its parameters as a query), run through
            // InvokeCommand; see `crate::exchange`.
            K::ExoTransportRules => exo("Get-TransportRule?ResultSize=Unlimited"),
            K::ExoRemoteDomains => exo("Get-RemoteDomain"),
            K::ExoAcceptedDomains => exo("Get-AcceptedDomain"),
            K::ExoOrganizationConfig => exo("Get-OrganizationConfig"),
            K::ExoTransportConfig => exo("Get-TransportConfig"),
            K::ExoDkimSigningConfig => exo("Get-DkimSigningConfig"),
            K::ExoAntiPhishPolicies => exo("Get-AntiPhishPolicy"),
            K::ExoHostedContentFilterPolicies => exo("Get-HostedContentFilterPolicy"),
            K::ExoOutboundSpamPolicies => exo("Get-HostedOutboundSpamFilterPolicy"),
            K::ExoMalwareFilterPolicies => exo("Get-MalwareFilterPolicy"),
            K::ExoSafeLinksPolicies => exo("Get-SafeLinksPolicy"),
            K::ExoSafeAttachmentPolicies => exo("Get-SafeAttachmentPolicy"),
            K::ExoProtectionPolicyRules => exo("Get-EOPProtectionPolicyRule"),
            K::ExoAdminAuditLogConfig => exo("Get-AdminAuditLogConfig"),
            K::ExoExternalInOutlook => exo("Get-ExternalInOutlook"),
            K::ExoSharedMailboxes => {
                exo("Get-Mailbox?RecipientTypeDetails=SharedMailbox&ResultSize=Unlimited")
            }
            // The accepted domains' SPF, DKIM and DMARC records: the domains are listed through
            // Exchange (so its permission and role), their records are asked of DNS
            // (`crate::mail_dns`).
            K::DnsMailRecords => exo("Get-AcceptedDomain"),
            K::ExoSharingPolicies => exo("Get-SharingPolicy"),
            K::ExoAtpPolicyForO365 => exo("Get-AtpPolicyForO365"),
        }
    }
}
