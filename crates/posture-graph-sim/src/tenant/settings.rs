//! Tenant-wide settings: authorization and authentication-method policies, directory settings,
//! domains, organization, licences (subscribedSkus), SharePoint settings, apps.

use chrono::Duration;
use serde_json::{Value, json};

use super::Tenant;
use super::users::{SKU_E3, SKU_E5};
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
                      "displayLocationInformationRequiredState": { "state": context, "includeTarget": { "targetType": "group", "id": "all_users" }, "excludeTarget": { "targetType": "group", "id": "00000000-0000-0000-0000-000000000000" } },
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

    pub fn custom_domain(&self) -> String {
        self.domain.replace(".onmicrosoft.com", ".example.com")
    }

    pub fn domains_json(&self) -> Vec<Value> {
        let validity = match self.profile() {
            Profile::Hardened => json!(2147483647),
            _ => json!(90),
        };
        let initial_validity = if self.profile() == Profile::Neglected {
            json!(90)
        } else {
            json!(2147483647)
        };
        let d = |name: &str, initial: bool, default: bool, validity: Value| {
            json!({
                "id": name, "authenticationType": "Managed", "availabilityStatus": null,
                "isAdminManaged": true, "isDefault": default, "isInitial": initial, "isRoot": true, "isVerified": true,
                "passwordNotificationWindowInDays": 14, "passwordValidityPeriodInDays": validity,
                "supportedServices": if initial { json!(["Email", "OfficeCommunicationsOnline"]) } else { json!(["Email", "OfficeCommunicationsOnline", "Intune"]) },
                "state": null,
            })
        };
        vec![
            d(&self.domain, true, false, initial_validity),
            d(&self.custom_domain(), false, true, validity),
        ]
    }

    fn plans(&self) -> Vec<(&'static str, &'static str)> {
        let l = self.licences();
        let mut v = vec![PLAN_EXCHANGE, PLAN_SHAREPOINT];
        if l.has_p1() {
            v.push(PLAN_P1);
        }
        if l.has_p2() {
            v.push(PLAN_P2);
        }
        if l.has_intune() {
            v.push(PLAN_INTUNE);
        }
        if l.has_defender() {
            v.push(PLAN_MDE);
        }
        v
    }

    pub fn organization_json(&self) -> Vec<Value> {
        let assigned: Vec<Value> = self
            .plans()
            .iter()
            .map(|(id, name)| {
                json!({
                    "assignedDateTime": iso(self.created), "capabilityStatus": "Enabled",
                    "service": name.to_string(), "servicePlanId": id,
                })
            })
            .collect();
        vec![json!({
            "id": self.id.to_string(),
            "displayName": self.display_name,
            "tenantType": "AAD",
            "countryLetterCode": "US",
            "city": "Redmond", "state": "WA", "country": null, "postalCode": "98052", "street": "1 Example Way",
            "businessPhones": ["+1 425 555 0100"],
            "createdDateTime": iso(self.created),
            "preferredLanguage": "en",
            "defaultUsageLocation": null,
            "onPremisesSyncEnabled": true,
            "onPremisesLastSyncDateTime": iso(self.epoch - Duration::minutes(37)),
            "technicalNotificationMails": [format!("it@{}", self.custom_domain())],
            "securityComplianceNotificationMails": [],
            "securityComplianceNotificationPhones": [],
            "marketingNotificationEmails": [],
            "privacyProfile": null,
            "assignedPlans": assigned,
            "provisionedPlans": [],
            "verifiedDomains": [
                { "name": self.domain, "isDefault": false, "isInitial": true, "type": "Managed", "capabilities": "Email, OfficeCommunicationsOnline" },
                { "name": self.custom_domain(), "isDefault": true, "isInitial": false, "type": "Managed", "capabilities": "Email, OfficeCommunicationsOnline" },
            ],
        })]
    }

    pub fn subscribed_skus_json(&self) -> Vec<Value> {
        let l = self.licences();
        let seats = self.layout.users as i64;
        let plans = |list: &[(&str, &str)]| -> Value {
            list.iter().map(|(id, name)| json!({ "servicePlanId": id, "servicePlanName": name, "provisioningStatus": "Success", "appliesTo": "User" })).collect()
        };
        let sku = |k: u32, sku_id: &str, part: &str, plan_list: Value, units: i64, consumed: i64| {
            json!({
                "id": format!("{}_{}", self.id, sku_id),
                "accountId": self.id.to_string(), "accountName": self.display_name,
                "appliesTo": "User", "capabilityStatus": "Enabled",
                "consumedUnits": consumed,
                "prepaidUnits": { "enabled": units, "suspended": 0, "warning": 0, "lockedOut": 0 },
                "servicePlans": plan_list, "skuId": sku_id, "skuPartNumber": part,
                "subscriptionIds": [object_id(self.seed, "subscription", k).to_string()],
            })
        };
        let mut out = Vec::new();
        if l.e5 {
            out.push(sku(0, SKU_E5, "SPE_E5", plans(&self.plans()), seats + 25, seats));
            return out;
        }
        out.push(sku(
            0,
            SKU_E3,
            "ENTERPRISEPACK",
            plans(&[PLAN_EXCHANGE, PLAN_SHAREPOINT]),
            seats + 25,
            seats,
        ));
        if l.p1 {
            out.push(sku(
                1,
                "078d2b04-f1bd-4111-bbd4-b4b1b354cef4",
                "AAD_PREMIUM",
                plans(&[PLAN_P1]),
                seats,
                seats,
            ));
        }
        if l.p2 {
            out.push(sku(
                2,
                "84a661c4-e949-4bd2-a560-ed7766fcaf2b",
                "AAD_PREMIUM_P2",
                plans(&[PLAN_P1, PLAN_P2]),
                seats,
                seats / 2,
            ));
        }
        if l.intune {
            out.push(sku(
                3,
                "061f9ace-7d42-4136-88ac-31dc755f143f",
                "INTUNE_A",
                plans(&[PLAN_INTUNE]),
                seats,
                seats * 9 / 10,
            ));
        }
        if l.defender_p2 {
            out.push(sku(
                4,
                "111046dd-295b-4d6d-9724-d52ac90bd1f2",
                "WIN_DEF_ATP",
                plans(&[PLAN_MDE]),
                seats,
                seats * 8 / 10,
            ));
        }
        out
    }

    pub fn sharepoint_settings_json(&self) -> Value {
        let p = self.profile();
        let sharing = self
            .overlay
            .sharepoint_sharing
            .clone()
            .unwrap_or_else(|| match p {
                Profile::Hardened => "existingExternalUserSharingOnly".into(),
                Profile::Typical => "externalUserSharingOnly".into(),
                Profile::Neglected => "externalUserAndGuestSharing".into(),
            });
        json!({
            "sharingCapability": sharing,
            "sharingDomainRestrictionMode": if p == Profile::Hardened { "allowList" } else { "none" },
            "sharingAllowedDomainList": if p == Profile::Hardened { json!(["partner0.example"]) } else { json!([]) },
            "sharingBlockedDomainList": [],
            "isResharingByExternalUsersEnabled": p == Profile::Neglected,
            "isRequireAcceptingUserToMatchInvitedUserEnabled": p != Profile::Neglected,
            "isLegacyAuthProtocolsEnabled": p != Profile::Hardened,
            "isUnmanagedSyncAppForTenantRestricted": p == Profile::Hardened,
            "allowedDomainGuidsForSyncApp": [],
            "idleSessionSignOut": { "isEnabled": p == Profile::Hardened, "warnAfterInSeconds": 9900, "signOutAfterInSeconds": 10800 },
            "deletedUserPersonalSiteRetentionPeriodInDays": 30,
            "excludedFileExtensionsForSyncApp": [],
            "isSiteCreationEnabled": p != Profile::Hardened,
            "isSiteCreationUIEnabled": p != Profile::Hardened,
            "isSitePagesCreationEnabled": true,
            "isSitesStorageLimitAutomatic": true,
            "isMacSyncAppEnabled": true,
            "isLoopEnabled": true,
            "isCommentingOnSitePagesEnabled": true,
            "isFileActivityNotificationEnabled": true,
            "isSharePointMobileNotificationEnabled": true,
            "isSharePointNewsfeedEnabled": true,
            "isSyncButtonHiddenOnPersonalSite": false,
            "imageTaggingOption": "basic",
            "personalSiteDefaultStorageLimitInMB": 1048576,
            "siteCreationDefaultManagedPath": "/sites/",
            "siteCreationDefaultStorageLimitInMB": 26214400,
            "tenantDefaultTimezone": "(UTC-08:00) Pacific Time (US and Canada)",
            "availableManagedPathsForSiteCreation": ["/sites/", "/teams/"],
        })
    }

    /// App registrations: Posture's own app plus a few line-of-business apps with credentials.
    pub fn applications_json(&self) -> Vec<Value> {
        let names = [
            "Posture Security Sync",
            "HR Portal",
            "Legacy Reporting",
            "Marketing Automation",
        ];
        names.iter().enumerate().map(|(k, name)| {
            let k32 = k as u32;
            let (app_id, object) = if k == 0 {
                (self.client_id.to_string(), self.app_object_id.to_string())
            } else {
                (object_id(self.seed, "app-client", k32).to_string(), object_id(self.seed, "app-object", k32).to_string())
            };
            let expiry_days: i64 = match (self.profile(), k) {
                (_, 0) => (self.secrets[0].expires_at - self.epoch).num_days(),
                (Profile::Neglected, _) => 20 + 400 * (k as i64 - 1) - 200,
                (Profile::Typical, 2) => 14,
                _ => 300,
            };
            let secrets: Vec<Value> = if k == 0 {
                self.secrets.iter().map(|s| json!({
                    "keyId": s.secret_id.to_string(), "displayName": "posture", "hint": s.value.expose().chars().take(3).collect::<String>(),
                    "startDateTime": iso(self.epoch - Duration::days(30)), "endDateTime": iso(s.expires_at),
                    "customKeyIdentifier": null, "secretText": null,
                })).collect()
            } else {
                vec![json!({
                    "keyId": object_id(self.seed, "app-secret", k32).to_string(), "displayName": "client secret", "hint": "abc",
                    "startDateTime": iso(self.epoch - Duration::days(200)), "endDateTime": iso(self.epoch + Duration::days(expiry_days)),
                    "customKeyIdentifier": null, "secretText": null,
                })]
            };
            json!({
                "id": object, "appId": app_id, "displayName": name,
                "createdDateTime": iso(self.created + Duration::days(10 * k as i64)),
                "signInAudience": if k == 0 { "AzureADMultipleOrgs" } else { "AzureADMyOrg" },
                "publisherDomain": self.custom_domain(),
                "passwordCredentials": secrets,
                "keyCredentials": [],
                "requiredResourceAccess": [],
                "tags": [],
                "identifierUris": [],
            })
        }).collect()
    }

    pub fn service_principals_json(&self) -> Vec<Value> {
        let mut v: Vec<Value> = self.applications_json().iter().enumerate().map(|(k, app)| json!({
            "id": if k == 0 { self.sp_object_id.to_string() } else { object_id(self.seed, "sp-object", k as u32).to_string() },
            "appId": app["appId"], "displayName": app["displayName"],
            "accountEnabled": true, "servicePrincipalType": "Application",
            "appOwnerOrganizationId": if k == 0 { json!("11111111-2222-4333-8444-555555555555") } else { json!(self.id.to_string()) },
            "signInAudience": app["signInAudience"], "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
            "passwordCredentials": [], "keyCredentials": [], "servicePrincipalNames": [app["appId"]],
            "appRoleAssignmentRequired": false,
        })).collect();
        for (k, (app, name)) in [
            ("00000003-0000-0000-c000-000000000000", "Microsoft Graph"),
            ("fc780465-2017-40d4-a0c5-307022471b92", "WindowsDefenderATP"),
            (
                "c5393580-f805-4401-95e8-94b7a6ef2fc2",
                "Office 365 Management APIs",
            ),
        ]
        .iter()
        .enumerate()
        {
            v.push(json!({
                "id": object_id(self.seed, "sp-first-party", k as u32).to_string(), "appId": app, "displayName": name,
                "accountEnabled": true, "servicePrincipalType": "Application",
                "appOwnerOrganizationId": "f8cdef31-a31e-4b4a-93e4-5f571e91255a", "signInAudience": "AzureADMultipleOrgs",
                "tags": [], "passwordCredentials": [], "keyCredentials": [], "servicePrincipalNames": [app], "appRoleAssignmentRequired": false,
            }));
        }
        v
    }
}
