//! The route table: each Graph GET path with its permissions, licence gate, throttling family,
//! denial style and handler kind.

use super::endpoints::{AppsQuery, Denial, Gate, ItemsFn, Kind, Route};
use crate::tenant::Tenant;
use crate::tenant::config::GRAPH_APP_ID;
use crate::throttle::Family;

const USERS: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const GROUPS: &[&str] = &[
    "GroupMember.Read.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const ROLES: &[&str] = &[
    "RoleManagement.Read.Directory",
    "RoleManagement.Read.All",
    "RoleManagement.ReadWrite.Directory",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const ELIGIBILITY: &[&str] = &[
    "RoleEligibilitySchedule.Read.Directory",
    "RoleEligibilitySchedule.ReadWrite.Directory",
    "RoleManagement.Read.Directory",
    "RoleManagement.Read.All",
    "RoleManagement.ReadWrite.Directory",
];
const ASSIGNMENT_SCHEDULES: &[&str] = &[
    "RoleAssignmentSchedule.Read.Directory",
    "RoleAssignmentSchedule.ReadWrite.Directory",
    "RoleManagement.Read.Directory",
    "RoleManagement.Read.All",
    "RoleManagement.ReadWrite.Directory",
];
const ROLE_POLICIES: &[&str] = &[
    "RoleManagementPolicy.Read.Directory",
    "RoleManagementPolicy.ReadWrite.Directory",
    "RoleManagement.Read.Directory",
    "RoleManagement.Read.All",
    "RoleManagement.ReadWrite.Directory",
];
const ACCESS_REVIEWS: &[&str] = &[
    "AccessReview.Read.All",
    "AccessReview.ReadWrite.All",
    "AccessReview.ReadWrite.Membership",
];
const POLICY: &[&str] = &[
    "Policy.Read.All",
    "Policy.ReadWrite.ConditionalAccess",
    "Policy.Read.ConditionalAccess",
];
const POLICY_ALL: &[&str] = &[
    "Policy.Read.All",
    "Policy.ReadWrite.AuthenticationMethod",
    "Policy.ReadWrite.Authorization",
];
const DIRECTORY: &[&str] = &["Directory.Read.All", "Directory.ReadWrite.All"];
const GROUP_SETTINGS: &[&str] = &[
    "GroupSettings.Read.All",
    "GroupSettings.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
];
const POLICY_CONSENT: &[&str] = &[
    "Policy.Read.All",
    "Policy.ReadWrite.ConsentRequest",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const POLICY_APP_CONFIG: &[&str] = &[
    "Policy.Read.All",
    "Policy.Read.ApplicationConfiguration",
    "Policy.ReadWrite.ApplicationConfiguration",
];
const POLICY_CROSS_TENANT: &[&str] = &["Policy.Read.All", "Policy.ReadWrite.CrossTenantAccess"];
const POLICY_DEVICE: &[&str] = &[
    "Policy.Read.DeviceConfiguration",
    "Policy.ReadWrite.DeviceConfiguration",
];
const ON_PREM_SYNC: &[&str] = &[
    "OnPremDirectorySynchronization.Read.All",
    "OnPremDirectorySynchronization.ReadWrite.All",
];
const DOMAINS: &[&str] = &["Domain.Read.All", "Domain.ReadWrite.All", "Directory.Read.All"];
const ORG: &[&str] = &[
    "Organization.Read.All",
    "Organization.ReadWrite.All",
    "Directory.Read.All",
    "LicenseAssignment.Read.All",
];
const APPS: &[&str] = &[
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const DEVICES: &[&str] = &[
    "DeviceManagementManagedDevices.Read.All",
    "DeviceManagementManagedDevices.ReadWrite.All",
];
const DEVICE_CONFIG: &[&str] = &[
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];
const ALERTS: &[&str] = &["SecurityAlert.Read.All", "SecurityAlert.ReadWrite.All"];
const INCIDENTS: &[&str] = &["SecurityIncident.Read.All", "SecurityIncident.ReadWrite.All"];
const SECURE_SCORE: &[&str] = &["SecurityEvents.Read.All", "SecurityEvents.ReadWrite.All"];
const SHAREPOINT: &[&str] = &[
    "SharePointTenantSettings.Read.All",
    "SharePointTenantSettings.ReadWrite.All",
];
const HEALTH: &[&str] = &["ServiceHealth.Read.All"];
const AUDIT: &[&str] = &["AuditLog.Read.All"];
const LICENCES: &[&str] = &[
    "LicenseAssignment.Read.All",
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const HUNTING: &[&str] = &["ThreatHunting.Read.All"];

fn route(
    label: &str,
    family: Family,
    perms: &'static [&'static str],
    gate: Gate,
    denial: Denial,
    kind: Kind,
) -> Route {
    Route {
        label: label.to_string(),
        family,
        perms,
        gate,
        denial,
        kind,
    }
}

fn items(context: &'static str, ty: &'static str, f: ItemsFn) -> Kind {
    Kind::Items {
        context,
        ty,
        items: f,
        max_top: 999,
        directory: true,
        paging: true,
    }
}

/// Role management policy assignments as `$expand` asks: `policy($expand=rules)` embeds each
/// policy with its rules, `policy` the policy alone.
fn role_policy_assignments_for(expand: Option<&str>) -> ItemsFn {
    let expand = expand.map(str::to_ascii_lowercase).unwrap_or_default();
    if expand.contains("policy") && expand.contains("rules") {
        Tenant::role_policy_assignments_with_rules_json
    } else if expand.contains("policy") {
        Tenant::role_policy_assignments_with_policy_json
    } else {
        Tenant::role_policy_assignments_json
    }
}

/// The value of a `name='value'` key segment such as `servicePrincipals(appId='…')`.
fn app_id_key(seg: &str) -> &str {
    seg.split_once('=')
        .map(|(_, v)| v.trim_end_matches(')').trim_matches('\''))
        .unwrap_or_default()
}

/// Resolves a GET path (segments after the version) to its route.
pub fn resolve(segs: &[&str], expand: Option<&str>) -> Option<Route> {
    use Denial as D;
    use Family as F;
    let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let l: Vec<&str> = lower.iter().map(String::as_str).collect();
    let id = |i: usize| segs.get(i).map(|s| s.to_string()).unwrap_or_default();
    Some(match l.as_slice() {
        ["users"] => route("users", F::Identity, USERS, Gate::None, D::Directory, Kind::Users),
        ["users", "$count"] => route(
            "users/$count",
            F::Identity,
            USERS,
            Gate::None,
            D::Directory,
            Kind::UsersCount,
        ),
        ["users", "delta"] | ["users", "delta()"] => route(
            "users/delta",
            F::Identity,
            USERS,
            Gate::None,
            D::Directory,
            Kind::Delta { groups: false },
        ),
        ["users", _] => route(
            "users/{id}",
            F::Identity,
            USERS,
            Gate::None,
            D::Directory,
            Kind::User(id(1)),
        ),
        ["users", _, "licensedetails"] => route(
            "users/{id}/licenseDetails",
            F::Identity,
            LICENCES,
            Gate::None,
            D::Directory,
            Kind::LicenseDetails(id(1)),
        ),
        ["groups"] => route(
            "groups",
            F::Identity,
            GROUPS,
            Gate::None,
            D::Directory,
            Kind::Groups,
        ),
        ["groups", "delta"] | ["groups", "delta()"] => route(
            "groups/delta",
            F::Identity,
            GROUPS,
            Gate::None,
            D::Directory,
            Kind::Delta { groups: true },
        ),
        ["groups", _] => route(
            "groups/{id}",
            F::Identity,
            GROUPS,
            Gate::None,
            D::Directory,
            Kind::Group(id(1)),
        ),
        ["groups", _, "members"] => route(
            "groups/{id}/members",
            F::Identity,
            GROUPS,
            Gate::None,
            D::Directory,
            Kind::Members {
                group: id(1),
                transitive: false,
            },
        ),
        ["groups", _, "transitivemembers"] => route(
            "groups/{id}/transitiveMembers",
            F::Identity,
            GROUPS,
            Gate::None,
            D::Directory,
            Kind::Members {
                group: id(1),
                transitive: true,
            },
        ),
        ["directoryroles"] => route(
            "directoryRoles",
            F::Identity,
            ROLES,
            Gate::None,
            D::Directory,
            Kind::Items {
                context: "directoryRoles",
                ty: "microsoft.graph.directoryRole",
                items: |t| t.directory_roles().into_iter().map(|(r, _)| r).collect(),
                max_top: 999,
                directory: true,
                paging: false,
            },
        ),
        ["directoryroles", _] => route(
            "directoryRoles/{id}",
            F::Identity,
            ROLES,
            Gate::None,
            D::Directory,
            Kind::ItemById {
                context: "directoryRoles",
                ty: "microsoft.graph.directoryRole",
                items: |t| t.directory_roles().into_iter().map(|(r, _)| r).collect(),
                id: id(1),
            },
        ),
        [key, "members"] if key.starts_with("directoryroles(roletemplateid=") => route(
            "directoryRoles(roleTemplateId)/members",
            F::Identity,
            ROLES,
            Gate::None,
            D::Directory,
            Kind::DirectoryRoleMembers(
                segs[0]
                    .split_once('=')
                    .map(|(_, v)| v.trim_end_matches(')').trim_matches('\'').to_string())
                    .unwrap_or_default(),
            ),
        ),
        ["directoryroles", _, "members"] => route(
            "directoryRoles/{id}/members",
            F::Identity,
            ROLES,
            Gate::None,
            D::Directory,
            Kind::DirectoryRoleMembers(id(1)),
        ),
        ["rolemanagement", "directory", "roleassignments"] => route(
            "roleManagement/directory/roleAssignments",
            F::Identity,
            ROLES,
            Gate::None,
            D::Directory,
            Kind::RoleAssignments,
        ),
        ["rolemanagement", "directory", "roledefinitions"] => route(
            "roleManagement/directory/roleDefinitions",
            F::Identity,
            ROLES,
            Gate::None,
            D::Directory,
            items(
                "roleManagement/directory/roleDefinitions",
                "microsoft.graph.unifiedRoleDefinition",
                Tenant::role_definitions_json,
            ),
        ),
        ["rolemanagement", "directory", "roledefinitions", _] => route(
            "roleManagement/directory/roleDefinitions/{id}",
            F::Identity,
            ROLES,
            Gate::None,
            D::Directory,
            Kind::ItemById {
                context: "roleManagement/directory/roleDefinitions",
                ty: "microsoft.graph.unifiedRoleDefinition",
                items: Tenant::role_definitions_json,
                id: id(3),
            },
        ),
        ["rolemanagement", "directory", "roleeligibilityscheduleinstances"] => route(
            "roleManagement/directory/roleEligibilityScheduleInstances",
            F::Identity,
            ELIGIBILITY,
            Gate::P2,
            D::Directory,
            items(
                "roleManagement/directory/roleEligibilityScheduleInstances",
                "microsoft.graph.unifiedRoleEligibilityScheduleInstance",
                Tenant::eligibility_instances_json,
            ),
        ),
        ["rolemanagement", "directory", "roleeligibilityschedules"] => route(
            "roleManagement/directory/roleEligibilitySchedules",
            F::Identity,
            ELIGIBILITY,
            Gate::P2,
            D::Directory,
            items(
                "roleManagement/directory/roleEligibilitySchedules",
                "microsoft.graph.unifiedRoleEligibilitySchedule",
                Tenant::eligibility_schedules_json,
            ),
        ),
        ["rolemanagement", "directory", "roleassignmentschedules"] => route(
            "roleManagement/directory/roleAssignmentSchedules",
            F::Identity,
            ASSIGNMENT_SCHEDULES,
            Gate::P2,
            D::Directory,
            items(
                "roleManagement/directory/roleAssignmentSchedules",
                "microsoft.graph.unifiedRoleAssignmentSchedule",
                Tenant::assignment_schedules_json,
            ),
        ),
        ["identitygovernance", "accessreviews", "definitions"] => route(
            "identityGovernance/accessReviews/definitions",
            F::Identity,
            ACCESS_REVIEWS,
            Gate::P2,
            D::Directory,
            items(
                "identityGovernance/accessReviews/definitions",
                "microsoft.graph.accessReviewScheduleDefinition",
                Tenant::access_review_definitions_json,
            ),
        ),
        ["rolemanagement", "directory", "roleassignmentscheduleinstances"] => route(
            "roleManagement/directory/roleAssignmentScheduleInstances",
            F::Identity,
            ASSIGNMENT_SCHEDULES,
            Gate::P2,
            D::Directory,
            items(
                "roleManagement/directory/roleAssignmentScheduleInstances",
                "microsoft.graph.unifiedRoleAssignmentScheduleInstance",
                Tenant::assignment_instances_json,
            ),
        ),
        ["policies", "rolemanagementpolicies"] => route(
            "policies/roleManagementPolicies",
            F::Identity,
            ROLE_POLICIES,
            Gate::P2,
            D::Directory,
            Kind::RolePolicies {
                expand_rules: expand.is_some_and(|e| e.to_ascii_lowercase().contains("rules")),
            },
        ),
        ["policies", "rolemanagementpolicies", _] => route(
            "policies/roleManagementPolicies/{id}",
            F::Identity,
            ROLE_POLICIES,
            Gate::P2,
            D::Directory,
            Kind::RolePolicy(id(2)),
        ),
        ["policies", "rolemanagementpolicies", _, "rules"] => route(
            "policies/roleManagementPolicies/{id}/rules",
            F::Identity,
            ROLE_POLICIES,
            Gate::P2,
            D::Directory,
            Kind::RolePolicyRules(id(2)),
        ),
        ["policies", "rolemanagementpolicyassignments"] => route(
            "policies/roleManagementPolicyAssignments",
            F::Identity,
            ROLE_POLICIES,
            Gate::P2,
            D::Directory,
            items(
                "policies/roleManagementPolicyAssignments",
                "microsoft.graph.unifiedRoleManagementPolicyAssignment",
                role_policy_assignments_for(expand),
            ),
        ),
        ["policies", "authorizationpolicy"] => route(
            "policies/authorizationPolicy",
            F::Identity,
            POLICY_ALL,
            Gate::None,
            D::Directory,
            Kind::Single {
                context: "policies/authorizationPolicy",
                ty: "microsoft.graph.authorizationPolicy",
                get: Tenant::authorization_policy_json,
            },
        ),
        ["policies", "authenticationmethodspolicy"] => route(
            "policies/authenticationMethodsPolicy",
            F::Identity,
            POLICY_ALL,
            Gate::None,
            D::Directory,
            Kind::Single {
                context: "policies/authenticationMethodsPolicy",
                ty: "microsoft.graph.authenticationMethodsPolicy",
                get: Tenant::authentication_methods_policy_json,
            },
        ),
        ["policies", "identitysecuritydefaultsenforcementpolicy"] => route(
            "policies/identitySecurityDefaultsEnforcementPolicy",
            F::Identity,
            POLICY_ALL,
            Gate::None,
            D::Directory,
            Kind::Single {
                context: "policies/identitySecurityDefaultsEnforcementPolicy",
                ty: "microsoft.graph.identitySecurityDefaultsEnforcementPolicy",
                get: Tenant::security_defaults_json,
            },
        ),
        ["policies", "defaultappmanagementpolicy"] => route(
            "policies/defaultAppManagementPolicy",
            F::Identity,
            POLICY_APP_CONFIG,
            Gate::None,
            D::Directory,
            Kind::Single {
                context: "policies/defaultAppManagementPolicy",
                ty: "microsoft.graph.tenantAppManagementPolicy",
                get: Tenant::app_management_policy_json,
            },
        ),
        ["identity", "conditionalaccess", "policies"] => route(
            "identity/conditionalAccess/policies",
            F::ConditionalAccess,
            POLICY,
            Gate::P1,
            D::Directory,
            Kind::Items {
                context: "identity/conditionalAccess/policies",
                ty: "microsoft.graph.conditionalAccessPolicy",
                items: Tenant::ca_policies_json,
                max_top: 999,
                directory: false,
                paging: true,
            },
        ),
        ["identity", "conditionalaccess", "policies", _] => route(
            "identity/conditionalAccess/policies/{id}",
            F::ConditionalAccess,
            POLICY,
            Gate::P1,
            D::Directory,
            Kind::ItemById {
                context: "identity/conditionalAccess/policies",
                ty: "microsoft.graph.conditionalAccessPolicy",
                items: Tenant::ca_policies_json,
                id: id(3),
            },
        ),
        ["identity", "conditionalaccess", "namedlocations"] => route(
            "identity/conditionalAccess/namedLocations",
            F::ConditionalAccess,
            POLICY,
            Gate::P1,
            D::Directory,
            Kind::Items {
                context: "identity/conditionalAccess/namedLocations",
                ty: "microsoft.graph.namedLocation",
                items: Tenant::named_locations_json,
                max_top: 999,
                directory: false,
                paging: true,
            },
        ),
        ["reports", "authenticationmethods", "userregistrationdetails"] => route(
            "reports/authenticationMethods/userRegistrationDetails",
            F::Reports,
            AUDIT,
            Gate::P1,
            D::AuditLog,
            Kind::Registration(None),
        ),
        ["reports", "authenticationmethods", "userregistrationdetails", _] => route(
            "reports/authenticationMethods/userRegistrationDetails/{id}",
            F::Reports,
            AUDIT,
            Gate::P1,
            D::AuditLog,
            Kind::Registration(Some(id(3))),
        ),
        ["settings"] => route(
            "settings",
            F::Identity,
            DIRECTORY,
            Gate::None,
            D::Directory,
            items(
                "settings",
                "microsoft.graph.groupSetting",
                Tenant::directory_settings_json,
            ),
        ),
        ["groupsettings"] => route(
            "groupSettings",
            F::Identity,
            GROUP_SETTINGS,
            Gate::None,
            D::Directory,
            items(
                "groupSettings",
                "microsoft.graph.groupSetting",
                Tenant::directory_settings_json,
            ),
        ),
        ["groupsettings", _] => route(
            "groupSettings/{id}",
            F::Identity,
            GROUP_SETTINGS,
            Gate::None,
            D::Directory,
            Kind::ItemById {
                context: "groupSettings",
                ty: "microsoft.graph.groupSetting",
                items: Tenant::directory_settings_json,
                id: id(1),
            },
        ),
        ["policies", "adminconsentrequestpolicy"] => route(
            "policies/adminConsentRequestPolicy",
            F::Identity,
            POLICY_CONSENT,
            Gate::None,
            D::Directory,
            Kind::Single {
                context: "policies/adminConsentRequestPolicy",
                ty: "microsoft.graph.adminConsentRequestPolicy",
                get: Tenant::admin_consent_request_policy_json,
            },
        ),
        ["policies", "activitybasedtimeoutpolicies"] => route(
            "policies/activityBasedTimeoutPolicies",
            F::Identity,
            POLICY_APP_CONFIG,
            Gate::None,
            D::Directory,
            items(
                "policies/activityBasedTimeoutPolicies",
                "microsoft.graph.activityBasedTimeoutPolicy",
                Tenant::activity_based_timeout_policies_json,
            ),
        ),
        ["policies", "appmanagementpolicies"] => route(
            "policies/appManagementPolicies",
            F::Identity,
            POLICY_APP_CONFIG,
            Gate::None,
            D::Directory,
            items(
                "policies/appManagementPolicies",
                "microsoft.graph.appManagementPolicy",
                Tenant::app_management_policies_json,
            ),
        ),
        ["policies", "deviceregistrationpolicy"] => route(
            "policies/deviceRegistrationPolicy",
            F::Identity,
            POLICY_DEVICE,
            Gate::None,
            D::Directory,
            Kind::Single {
                context: "policies/deviceRegistrationPolicy",
                ty: "microsoft.graph.deviceRegistrationPolicy",
                get: Tenant::device_registration_policy_json,
            },
        ),
        ["policies", "crosstenantaccesspolicy", "default"] => route(
            "policies/crossTenantAccessPolicy/default",
            F::Identity,
            POLICY_CROSS_TENANT,
            Gate::None,
            D::Directory,
            Kind::Single {
                context: "policies/crossTenantAccessPolicy/default",
                ty: "microsoft.graph.crossTenantAccessPolicyConfigurationDefault",
                get: Tenant::cross_tenant_access_default_json,
            },
        ),
        ["directory", "onpremisessynchronization"] => route(
            "directory/onPremisesSynchronization",
            F::Identity,
            ON_PREM_SYNC,
            Gate::None,
            D::Directory,
            Kind::Items {
                context: "directory/onPremisesSynchronization",
                ty: "microsoft.graph.onPremisesDirectorySynchronization",
                items: Tenant::on_premises_synchronization_json,
                max_top: 999,
                directory: false,
                paging: false,
            },
        ),
        [key, "delegatedpermissionclassifications"]
            if key.starts_with("serviceprincipals(appid=")
                && app_id_key(segs[0]).eq_ignore_ascii_case(GRAPH_APP_ID) =>
        {
            route(
                "servicePrincipals(appId)/delegatedPermissionClassifications",
                F::Identity,
                APPS,
                Gate::None,
                D::Directory,
                Kind::Items {
                    context: "servicePrincipals('{id}')/delegatedPermissionClassifications",
                    ty: "microsoft.graph.delegatedPermissionClassification",
                    items: Tenant::graph_permission_classifications_json,
                    max_top: 999,
                    directory: false,
                    paging: true,
                },
            )
        }
        ["domains"] => route(
            "domains",
            F::Identity,
            DOMAINS,
            Gate::None,
            D::Directory,
            items("domains", "microsoft.graph.domain", Tenant::domains_json),
        ),
        ["domains", _] => route(
            "domains/{id}",
            F::Identity,
            DOMAINS,
            Gate::None,
            D::Directory,
            Kind::ItemById {
                context: "domains",
                ty: "microsoft.graph.domain",
                items: Tenant::domains_json,
                id: id(1),
            },
        ),
        ["organization"] => route(
            "organization",
            F::Identity,
            ORG,
            Gate::None,
            D::Directory,
            items(
                "organization",
                "microsoft.graph.organization",
                Tenant::organization_json,
            ),
        ),
        ["subscribedskus"] => route(
            "subscribedSkus",
            F::Identity,
            ORG,
            Gate::None,
            D::Directory,
            items(
                "subscribedSkus",
                "microsoft.graph.subscribedSku",
                Tenant::subscribed_skus_json,
            ),
        ),
        ["applications"] => route(
            "applications",
            F::Identity,
            APPS,
            Gate::None,
            D::Directory,
            Kind::Apps(AppsQuery::Applications),
        ),
        ["applications", _] => route(
            "applications/{id}",
            F::Identity,
            APPS,
            Gate::None,
            D::Directory,
            Kind::ItemById {
                context: "applications",
                ty: "microsoft.graph.application",
                items: Tenant::applications_json,
                id: id(1),
            },
        ),
        ["applications", _, "owners"] => route(
            "applications/{id}/owners",
            F::Identity,
            APPS,
            Gate::None,
            D::Directory,
            Kind::Apps(AppsQuery::ApplicationOwners(id(1))),
        ),
        [key, "owners"] if key.starts_with("applications(appid=") => route(
            "applications(appId)/owners",
            F::Identity,
            APPS,
            Gate::None,
            D::Directory,
            Kind::Apps(AppsQuery::ApplicationOwners(id(0))),
        ),
        ["serviceprincipals"] => route(
            "servicePrincipals",
            F::Identity,
            APPS,
            Gate::None,
            D::Directory,
            Kind::Apps(AppsQuery::ServicePrincipals),
        ),
        ["serviceprincipals", _] => route(
            "servicePrincipals/{id}",
            F::Identity,
            APPS,
            Gate::None,
            D::Directory,
            Kind::ItemById {
                context: "servicePrincipals",
                ty: "microsoft.graph.servicePrincipal",
                items: Tenant::service_principals_json,
                id: id(1),
            },
        ),
        ["serviceprincipals", _, rel] | [_, rel]
            if ((l.len() == 3 && l[0] == "serviceprincipals")
                || (l.len() == 2 && l[0].starts_with("serviceprincipals(appid=")))
                && matches!(*rel, "owners" | "approleassignments" | "approleassignedto") =>
        {
            let key = if l.len() == 3 { id(1) } else { id(0) };
            let (label, q) = match *rel {
                "owners" => ("owners", AppsQuery::ServicePrincipalOwners(key)),
                "approleassignments" => ("appRoleAssignments", AppsQuery::AppRoleAssignments(key)),
                _ => ("appRoleAssignedTo", AppsQuery::AppRoleAssignedTo(key)),
            };
            route(
                &format!("servicePrincipals/{{id}}/{label}"),
                F::Identity,
                APPS,
                Gate::None,
                D::Directory,
                Kind::Apps(q),
            )
        }
        ["devicemanagement", "manageddevices"] => route(
            "deviceManagement/managedDevices",
            F::IntuneDevices,
            DEVICES,
            Gate::Intune,
            D::Intune,
            Kind::Virtual {
                context: "deviceManagement/managedDevices",
                ty: "microsoft.graph.managedDevice",
                len: |t| t.layout.devices,
                get: Tenant::managed_device_json,
                max_top: 1000,
                default_top: 1000,
                skip: false,
            },
        ),
        ["devicemanagement", "devicecompliancepolicies"] => route(
            "deviceManagement/deviceCompliancePolicies",
            F::IntuneConfiguration,
            DEVICE_CONFIG,
            Gate::Intune,
            D::Intune,
            Kind::Items {
                context: "deviceManagement/deviceCompliancePolicies",
                ty: "microsoft.graph.deviceCompliancePolicy",
                items: Tenant::compliance_policies_json,
                max_top: 1000,
                directory: false,
                paging: true,
            },
        ),
        ["security", "alerts_v2"] => route(
            "security/alerts_v2",
            F::Security,
            ALERTS,
            Gate::None,
            D::Security,
            Kind::Virtual {
                context: "security/alerts_v2",
                ty: "microsoft.graph.security.alert",
                len: |t| t.layout.alerts,
                get: Tenant::alert_v2_json,
                max_top: 2000,
                default_top: 2000,
                skip: true,
            },
        ),
        ["security", "runhuntingquery"] | ["security", "microsoft.graph.security.runhuntingquery"] => route(
            "security/runHuntingQuery",
            F::Security,
            HUNTING,
            Gate::None,
            D::Security,
            Kind::HuntingQuery,
        ),
        ["security", "incidents"] => route(
            "security/incidents",
            F::Security,
            INCIDENTS,
            Gate::None,
            D::Security,
            Kind::Virtual {
                context: "security/incidents",
                ty: "microsoft.graph.security.incident",
                len: |t| t.layout.incidents,
                get: Tenant::incident_json,
                max_top: 50,
                default_top: 50,
                skip: true,
            },
        ),
        ["security", "securescores"] => route(
            "security/secureScores",
            F::Security,
            SECURE_SCORE,
            Gate::None,
            D::Security,
            Kind::Items {
                context: "security/secureScores",
                ty: "microsoft.graph.secureScore",
                items: Tenant::secure_scores_json,
                max_top: 999,
                directory: false,
                paging: true,
            },
        ),
        ["security", "securescorecontrolprofiles"] => route(
            "security/secureScoreControlProfiles",
            F::Security,
            SECURE_SCORE,
            Gate::None,
            D::Security,
            Kind::Items {
                context: "security/secureScoreControlProfiles",
                ty: "microsoft.graph.secureScoreControlProfile",
                items: Tenant::control_profiles_json,
                max_top: 999,
                directory: false,
                paging: true,
            },
        ),
        ["admin", "sharepoint", "settings"] => route(
            "admin/sharepoint/settings",
            F::Identity,
            SHAREPOINT,
            Gate::None,
            D::SharePoint,
            Kind::Single {
                context: "admin/sharepoint/settings",
                ty: "microsoft.graph.sharepointSettings",
                get: Tenant::sharepoint_settings_json,
            },
        ),
        ["admin", "serviceannouncement", "healthoverviews"] => route(
            "admin/serviceAnnouncement/healthOverviews",
            F::ServiceHealth,
            HEALTH,
            Gate::None,
            D::ServiceHealth,
            Kind::Items {
                context: "admin/serviceAnnouncement/healthOverviews",
                ty: "microsoft.graph.serviceHealth",
                items: Tenant::health_overviews_json,
                max_top: 999,
                directory: false,
                paging: true,
            },
        ),
        ["admin", "serviceannouncement", "issues"] => route(
            "admin/serviceAnnouncement/issues",
            F::ServiceHealth,
            HEALTH,
            Gate::None,
            D::ServiceHealth,
            Kind::Items {
                context: "admin/serviceAnnouncement/issues",
                ty: "microsoft.graph.serviceHealthIssue",
                items: Tenant::health_issues_json,
                max_top: 999,
                directory: false,
                paging: true,
            },
        ),
        ["auditlogs", "directoryaudits"] => route(
            "auditLogs/directoryAudits",
            F::Reports,
            AUDIT,
            Gate::None,
            D::AuditLog,
            Kind::Virtual {
                context: "auditLogs/directoryAudits",
                ty: "microsoft.graph.directoryAudit",
                len: Tenant::audit_len,
                get: Tenant::directory_audit_json,
                max_top: 1000,
                default_top: 1000,
                skip: false,
            },
        ),
        ["auditlogs", "signins"] => route(
            "auditLogs/signIns",
            F::Reports,
            AUDIT,
            Gate::P1,
            D::AuditLog,
            Kind::Virtual {
                context: "auditLogs/signIns",
                ty: "microsoft.graph.signIn",
                len: Tenant::sign_in_len,
                get: Tenant::sign_in_json,
                max_top: 1000,
                default_top: 1000,
                skip: false,
            },
        ),
        _ => return None,
    })
}
