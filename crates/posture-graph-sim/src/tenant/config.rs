//! Directory configuration read as posture evidence: the admin consent request policy,
//! activity-based timeout and app management policies, the device registration policy, the
//! cross-tenant access default, on-premises directory synchronization and the delegated permission
//! classifications on Microsoft Graph's service principal. Shapes follow Graph v1.0.

use serde_json::{Value, json};

use super::Tenant;
use crate::ids::object_id;
use crate::spec::Profile;

/// Microsoft Graph's appId: its service principal carries the delegated permission classifications.
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// Delegated Microsoft Graph permissions: (permission id, name).
const OPENID: (&str, &str) = ("37f7f235-527c-4136-accd-4a02d197296e", "openid");
const PROFILE: (&str, &str) = ("14dad69e-099b-42c9-810b-d002981feec1", "profile");
const EMAIL: (&str, &str) = ("64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0", "email");
const OFFLINE_ACCESS: (&str, &str) = ("7427e0e9-2fba-42fe-b0c0-848c9e6a8182", "offline_access");
const USER_READ: (&str, &str) = ("e1fe6dd8-ba31-4d61-89e7-88639da4683d", "User.Read");
const MAIL_READ: (&str, &str) = ("570282fd-fa5c-430d-a7fd-fc8dc98a9dca", "Mail.Read");
const FILES_READ_ALL: (&str, &str) = ("df85f4d6-205c-4ac5-a5ea-6bf408dba283", "Files.Read.All");
const DIRECTORY_RW_ALL: (&str, &str) = ("c5366453-9fb0-48a5-a156-24f0c49a4b84", "Directory.ReadWrite.All");

/// "Everyone": a device registration membership open to all users.
fn all_members() -> Value {
    json!({ "@odata.type": "#microsoft.graph.allDeviceRegistrationMembership" })
}

fn b2b_setting(access: &str) -> Value {
    json!({
        "usersAndGroups": { "accessType": access, "targets": [{ "target": "AllUsers", "targetType": "user" }] },
        "applications": { "accessType": access, "targets": [{ "target": "AllApplications", "targetType": "application" }] },
    })
}

impl Tenant {
    /// `GET /policies/adminConsentRequestPolicy`: users may ask an admin for consent they cannot give.
    pub fn admin_consent_request_policy_json(&self) -> Value {
        let enabled = self.profile() != Profile::Neglected;
        let reviewers: Vec<Value> = if enabled {
            self.roster
                .ga_active
                .iter()
                .take(2)
                .map(|p| {
                    json!({
                        "query": format!("/users/{}", self.user_id(*p)),
                        "queryType": "MicrosoftGraph",
                        "queryRoot": null,
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        json!({
            "id": "adminConsentRequestPolicy",
            "isEnabled": enabled,
            "notifyReviewers": enabled,
            "remindersEnabled": enabled,
            "requestDurationInDays": if enabled { 30 } else { 0 },
            "reviewers": reviewers,
            "version": if enabled { 2 } else { 0 },
        })
    }

    /// `GET /policies/activityBasedTimeoutPolicies`: idle web sessions signed out (none when neglected).
    pub fn activity_based_timeout_policies_json(&self) -> Vec<Value> {
        let timeout = match self.profile() {
            Profile::Hardened => "01:00:00",
            Profile::Typical => "08:00:00",
            Profile::Neglected => return Vec::new(),
        };
        let definition = json!({
            "ActivityBasedTimeoutPolicy": {
                "Version": 1,
                "ApplicationPolicies": [{ "ApplicationId": "default", "WebSessionIdleTimeout": timeout }],
            }
        });
        vec![json!({
            "id": object_id(self.seed, "activity-timeout-policy", 0).to_string(),
            "deletedDateTime": null,
            "definition": [definition.to_string()],
            "displayName": "Idle session timeout",
            "description": "Signs users out of web apps after a period of inactivity",
            "isOrganizationDefault": true,
        })]
    }

    /// `GET /policies/appManagementPolicies`: credential restrictions for named apps.
    pub fn app_management_policies_json(&self) -> Vec<Value> {
        let enabled = match self.profile() {
            Profile::Hardened => true,
            Profile::Typical => false,
            Profile::Neglected => return Vec::new(),
        };
        vec![json!({
            "id": object_id(self.seed, "app-management-policy", 0).to_string(),
            "displayName": "Credential management policy",
            "description": "No password credentials; certificates live at most a year.",
            "isEnabled": enabled,
            "restrictions": {
                "passwordCredentials": [
                    { "restrictionType": "passwordAddition", "state": "enabled", "maxLifetime": null, "restrictForAppsCreatedAfterDateTime": "2024-01-01T00:00:00Z", "excludeActors": null },
                ],
                "keyCredentials": [
                    { "restrictionType": "asymmetricKeyLifetime", "state": "enabled", "maxLifetime": "P365D", "restrictForAppsCreatedAfterDateTime": "2024-01-01T00:00:00Z", "excludeActors": null },
                ],
            },
        })]
    }

    /// `GET /policies/deviceRegistrationPolicy`: who may register and join devices, and how.
    pub fn device_registration_policy_json(&self) -> Value {
        let p = self.profile();
        let allowed_to_join = match p {
            Profile::Hardened => json!({
                "@odata.type": "#microsoft.graph.enumeratedDeviceRegistrationMembership",
                "users": [],
                "groups": [self.group_id(0)],
            }),
            _ => all_members(),
        };
        json!({
            "id": "deviceRegistrationPolicy",
            "displayName": "Device Registration Policy",
            "description": "Tenant-wide policy that manages initial provisioning controls using quota restrictions, additional authentication and authorization checks",
            // 50 is Entra's default; CIS 5.1.4.2 asks for 20 or less.
            "userDeviceQuota": if p == Profile::Hardened { 20 } else { 50 },
            "multiFactorAuthConfiguration": if p == Profile::Neglected { "notRequired" } else { "required" },
            "azureADRegistration": { "isAdminConfigurable": false, "allowedToRegister": all_members() },
            "azureADJoin": {
                "isAdminConfigurable": true,
                "allowedToJoin": allowed_to_join,
                "localAdmins": {
                    "enableGlobalAdmins": p != Profile::Hardened,
                    "registeringUsers": if p == Profile::Hardened { json!({ "@odata.type": "#microsoft.graph.noDeviceRegistrationMembership" }) } else { all_members() },
                },
            },
            "localAdminPassword": { "isEnabled": p != Profile::Neglected },
        })
    }

    /// `GET /policies/crossTenantAccessPolicy/default`. Graph answers without an `id`.
    pub fn cross_tenant_access_default_json(&self) -> Value {
        let p = self.profile();
        let hardened = p == Profile::Hardened;
        json!({
            "isServiceDefault": p == Profile::Neglected,
            "inboundTrust": {
                "isMfaAccepted": hardened,
                "isCompliantDeviceAccepted": hardened,
                "isHybridAzureADJoinedDeviceAccepted": hardened,
            },
            "automaticUserConsentSettings": { "inboundAllowed": false, "outboundAllowed": false },
            "b2bCollaborationOutbound": b2b_setting("allowed"),
            "b2bCollaborationInbound": b2b_setting("allowed"),
            "b2bDirectConnectOutbound": b2b_setting(if hardened { "blocked" } else { "allowed" }),
            "b2bDirectConnectInbound": b2b_setting("blocked"),
            "invitationRedemptionIdentityProviderConfiguration": {
                "primaryIdentityProviderPrecedenceOrder": ["externalFederation", "azureActiveDirectory", "socialIdentityProviders"],
                "fallbackIdentityProvider": if hardened { "defaultConfiguredIdp" } else { "emailOneTimePasscode" },
            },
            "tenantRestrictions": {
                "usersAndGroups": { "accessType": "blocked", "targets": [{ "target": "AllUsers", "targetType": "user" }] },
                "applications": { "accessType": "blocked", "targets": [{ "target": "AllApplications", "targetType": "application" }] },
                "devices": null,
            },
        })
    }

    /// `GET /directory/onPremisesSynchronization`: one object per tenant, id the tenant id.
    pub fn on_premises_synchronization_json(&self) -> Vec<Value> {
        let p = self.profile();
        let hybrid = p != Profile::Hardened;
        vec![json!({
            "id": self.id.to_string(),
            "configuration": {
                "accidentalDeletionPrevention": {
                    "synchronizationPreventionType": if p == Profile::Neglected { "disabled" } else { "enabledForCount" },
                    "alertThreshold": 500,
                },
                "synchronizationInterval": "PT30M",
                "customerRequestedSynchronizationInterval": null,
            },
            "features": {
                "blockCloudObjectTakeoverThroughHardMatchEnabled": p != Profile::Neglected,
                "blockSoftMatchEnabled": p != Profile::Neglected,
                "bypassDirSyncOverridesEnabled": false,
                "cloudPasswordPolicyForPasswordSyncedUsersEnabled": p != Profile::Neglected,
                "concurrentCredentialUpdateEnabled": false,
                "concurrentOrgIdProvisioningEnabled": true,
                "deviceWritebackEnabled": false,
                "directoryExtensionsEnabled": false,
                "fopeConflictResolutionEnabled": false,
                "groupWriteBackEnabled": false,
                "passwordSyncEnabled": p != Profile::Neglected,
                "passwordWritebackEnabled": hybrid && p == Profile::Typical,
                "quarantineUponProxyAddressesConflictEnabled": true,
                "quarantineUponUpnConflictEnabled": true,
                "softMatchOnUpnEnabled": p == Profile::Neglected,
                "synchronizeUpnForManagedUsersEnabled": true,
                "unifiedGroupWritebackEnabled": false,
                "userForcePasswordChangeOnLogonEnabled": false,
                "userWritebackEnabled": false,
            },
        })]
    }

    /// `GET /servicePrincipals(appId='00000003-…')/delegatedPermissionClassifications`: Microsoft
    /// Graph's delegated permissions an admin classified. The neglected tenant calls risky
    /// permissions low impact, which lets users consent to them.
    pub fn graph_permission_classifications_json(&self) -> Vec<Value> {
        let mut low = vec![OPENID, PROFILE, EMAIL, OFFLINE_ACCESS, USER_READ];
        match self.profile() {
            Profile::Hardened => {}
            Profile::Typical => low.truncate(4),
            Profile::Neglected => low.extend([MAIL_READ, FILES_READ_ALL, DIRECTORY_RW_ALL]),
        }
        low.into_iter()
            .enumerate()
            .map(|(k, (permission_id, name))| {
                json!({
                    "id": object_id(self.seed, "permission-classification", k as u32).simple().to_string(),
                    "classification": "low",
                    "permissionId": permission_id,
                    "permissionName": name,
                })
            })
            .collect()
    }
}
