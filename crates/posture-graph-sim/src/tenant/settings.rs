//! Tenant-wide settings: authorization and authentication-method policies, directory settings,
//! domains, organization, licences (subscribedSkus), SharePoint settings, apps.

use chrono::Duration;
use serde_json::{Value, json};

use super::Tenant;
use crate::clock::iso;
use crate::ids::object_id;
use crate::spec::Profile;

pub const GUEST_ROLE_RESTRICTED: &str = "2af84b1e-32c8-42b7-82bc-daa82404023b";
pub const GUEST_ROLE_LIMITED: &str = "10dae51f-b6af-4016-8d66-8c2a99b929b3";
pub const GUEST_ROLE_MEMBER: &str = "a0b1b346-4d3e-4e8b-98f8-753987be4970";

/// Service plans: (id, name) of the plans that gate APIs.
pub const PLAN_P1: (&str, &str) = ("41781fb2-bc02-4b7c-bd55-b576c07bb09d", "AAD_PREMIUM");
pub const PLAN_P2: (&str, &str) = ("eec0eb4f-6444-4f95-aba0-50c24d67f998", "AAD_PREMIUM_P2");
pub const PLAN_INTUNE: (&str, &str) = ("c1ec4a95-1f05-45b3-a911-aa3fa01094f5", "INTUNE_A");
pub const PLAN_MDE: (&str, &str) = ("871d91ec-ec1a-452b-a83f-bd76c7d770ef", "WINDEFATP");
pub const PLAN_EXCHANGE: (&str, &str) = ("efb87545-963c-4e0d-99df-69c6916d9eb0", "EXCHANGE_S_ENTERPRISE");
pub const PLAN_SHAREPOINT: (&str, &str) = ("5dbe027f-2339-4123-9542-606e4d348a72", "SHAREPOINTENTERPRISE");

impl Tenant {
    pub fn authorization_policy_json(&self) -> Value {
        let (invites, guest_role, create_apps, create_tenants, create_groups, grants) = match self.profile() {
            Profile::Hardened => (
                "adminsAndGuestInviters",
                GUEST_ROLE_RESTRICTED,
                false,
                false,
                false,
                json!([]),
            ),
            Profile::Typical => (
                "everyone",
                GUEST_ROLE_LIMITED,
                false,
                true,
                true,
                json!(["ManagePermissionGrantsForSelf.microsoft-user-default-low"]),
            ),
            Profile::Neglected => (
                "everyone",
                GUEST_ROLE_MEMBER,
                true,
                true,
                true,
                json!(["ManagePermissionGrantsForSelf.microsoft-user-default-legacy"]),
            ),
        };
        json!({
            "id": "authorizationPolicy",
            "displayName": "Authorization Policy",
            "description": "Used to manage authorization related settings across the company.",
            "allowInvitesFrom": invites,
            "allowedToSignUpEmailBasedSubscriptions": self.profile() == Profile::Neglected,
            "allowedToUseSSPR": true,
            "allowEmailVerifiedUsersToJoinOrganization": self.profile() == Profile::Neglected,
            "allowUserConsentForRiskyApps": self.profile() == Profile::Neglected,
            "blockMsolPowerShell": self.profile() == Profile::Hardened,
            "guestUserRoleId": guest_role,
            "defaultUserRolePermissions": {
                "allowedToCreateApps": create_apps,
                "allowedToCreateSecurityGroups": create_groups,
                "allowedToCreateTenants": create_tenants,
                "allowedToReadBitlockerKeysForOwnedDevice": self.profile() != Profile::Hardened,
                "allowedToReadOtherUsers": true,
                "permissionGrantPoliciesAssigned": grants,
            },
        })
    }

    pub fn authentication_methods_policy_json(&self) -> Value {
        let p = self.profile();
        let (migration, sms, voice, email, context) = match p {
            Profile::Hardened => ("migrationComplete", "disabled", "disabled", "disabled", "enabled"),
            Profile::Typical => ("migrationInProgress", "enabled", "disabled", "enabled", "enabled"),
            Profile::Neglected => ("preMigration", "enabled", "enabled", "enabled", "default"),
        };
        // Typical shows the app name but leaves the location Microsoft-managed ("default").
        let location = if p == Profile::Hardened {
            "enabled"
        } else {
            "default"
        };
        json!({
            "id": "authenticationMethodsPolicy",
            "displayName": "Authentication Methods Policy",
            "description": "The tenant-wide policy that controls which authentication methods are allowed in the tenant, authentication method registration requirements, and self-service password reset settings",
            "lastModifiedDateTime": iso(self.epoch - Duration::days(45)),
            "policyVersion": "1.5",
            "policyMigrationState": migration,
            "reconfirmationInDays": 0,
            "registrationEnforcement": { "authenticationMethodsRegistrationCampaign": {
                "snoozeDurationInDays": 1, "state": if p == Profile::Neglected { "disabled" } else { "enabled" },
                "excludeTargets": [], "includeTargets": [{ "id": "all_users", "targetType": "group", "targetedAuthenticationMethod": "microsoftAuthenticator" }],
            }},
            "authenticationMethodConfigurations": [
                { "@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration", "id": "Fido2",
                  "state": if p == Profile::Neglected { "disabled" } else { "enabled" }, "excludeTargets": [],
                  "isSelfServiceRegistrationAllowed": true, "isAttestationEnforced": p == Profile::Hardened,
                  "keyRestrictions": { "isEnforced": false, "enforcementType": "block", "aaGuids": [] } },
                { "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration", "id": "MicrosoftAuthenticator",
                  "state": "enabled", "excludeTargets": [], "isSoftwareOathEnabled": false,
                  "featureSettings": {
                      "displayAppInformationRequiredState": { "state": context, "includeTarget": { "targetType": "group", "id": "all_users" }, "excludeTarget": { "targetType": "group", "id": "00000000-0000-0000-0000-000000000000" } },
                      "displayLocationInformationRequiredState": { "state": location, "includeTarget": { "targetType": "group", "id": "all_users" }, "excludeTarget": { "targetType": "group", "id": "00000000-0000-0000-0000-000000000000" } },
                  } },
                { "@odata.type": "#microsoft.graph.smsAuthenticationMethodConfiguration", "id": "Sms", "state": sms, "excludeTargets": [] },
                { "@odata.type": "#microsoft.graph.voiceAuthenticationMethodConfiguration", "id": "Voice", "state": voice, "excludeTargets": [], "isOfficePhoneAllowed": false },
                { "@odata.type": "#microsoft.graph.emailAuthenticationMethodConfiguration", "id": "Email", "state": email, "excludeTargets": [], "allowExternalIdToUseEmailOtp": "default" },
                { "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration", "id": "TemporaryAccessPass",
                  "state": if p == Profile::Hardened { "enabled" } else { "disabled" }, "excludeTargets": [],
                  "defaultLifetimeInMinutes": 60, "defaultLength": 8, "minimumLifetimeInMinutes": 60, "maximumLifetimeInMinutes": 480, "isUsableOnce": true },
            ],
        })
    }

    pub fn security_defaults_json(&self) -> Value {
        json!({
            "id": "00000000-0000-0000-0000-000000000005",
            "displayName": "Security Defaults",
            "description": "Security defaults is a set of basic identity security mechanisms recommended by Microsoft. When enabled, these recommendations will be automatically enforced in your organization. Administrators and users will be better protected from common identity related attacks.",
            "isEnabled": false,
        })
    }

    pub fn app_management_policy_json(&self) -> Value {
        let hardened = self.profile() == Profile::Hardened;
        let restrictions = if hardened {
            json!({
                "passwordCredentials": [
                    { "restrictionType": "passwordAddition", "state": "enabled", "maxLifetime": null, "restrictForAppsCreatedAfterDateTime": "2024-01-01T00:00:00Z", "excludeActors": null },
                    { "restrictionType": "passwordLifetime", "state": "enabled", "maxLifetime": "P180D", "restrictForAppsCreatedAfterDateTime": "2024-01-01T00:00:00Z", "excludeActors": null },
                ],
                "keyCredentials": [
                    { "restrictionType": "asymmetricKeyLifetime", "state": "enabled", "maxLifetime": "P365D", "restrictForAppsCreatedAfterDateTime": "2024-01-01T00:00:00Z", "excludeActors": null },
                ],
            })
        } else {
            json!({ "passwordCredentials": [], "keyCredentials": [] })
        };
        json!({
            "id": "00000000-0000-0000-0000-000000000000",
            "displayName": "Default app management tenant policy",
            "description": "Default tenant policy that enforces app management restrictions on applications and service principals. To apply policy to targeted resources, create a new policy under appManagementPolicies collection.",
            "isEnabled": hardened,
            "applicationRestrictions": restrictions,
            "servicePrincipalRestrictions": restrictions,
        })
    }

    pub fn directory_settings_json(&self) -> Vec<Value> {
        let consent = self.profile() != Profile::Neglected;
        vec![
            json!({
                "id": object_id(self.seed, "directory-setting", 0).to_string(),
                "displayName": "Consent Policy Settings",
                "templateId": "dffd5d46-495d-40a9-8e21-954ff55e198a",
                "values": [
                    { "name": "EnableGroupSpecificConsent", "value": "false" },
                    { "name": "BlockUserConsentForRiskyApps", "value": "true" },
                    { "name": "EnableAdminConsentRequests", "value": if consent { "true" } else { "false" } },
                    { "name": "ConstrainGroupSpecificConsentToMembersOfGroupId", "value": "" },
                ],
            }),
            json!({
                "id": object_id(self.seed, "directory-setting", 1).to_string(),
                "displayName": "Group.Unified",
                "templateId": "62375ab9-6b52-47ed-826b-58e47e0e304b",
                "values": [
                    { "name": "EnableGroupCreation", "value": if self.profile() == Profile::Hardened { "false" } else { "true" } },
                    { "name": "AllowGuestsToAccessGroups", "value": "true" },
                    { "name": "AllowToAddGuests", "value": if self.profile() == Profile::Hardened { "false" } else { "true" } },
                ],
            }),
        ]
    }
}
