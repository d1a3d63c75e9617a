//! Domains, organization, licences (subscribedSkus with service plans), SharePoint tenant
//! settings (app registrations and service principals are in `apps`).

use chrono::Duration;
use serde_json::{Value, json};

use super::Tenant;
use super::settings::{PLAN_EXCHANGE, PLAN_INTUNE, PLAN_MDE, PLAN_P1, PLAN_P2, PLAN_SHAREPOINT};
use super::users::{SKU_E3, SKU_E5};
use crate::clock::iso;
use crate::ids::object_id;
use crate::spec::Profile;

impl Tenant {
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

    /// `GET /users/{id}/licenseDetails`: one licenseDetails per assigned licence, with the SKU's part
    /// number and service plans (a disabled plan reads provisioningStatus `Disabled`). `None` for an
    /// unknown user.
    pub fn license_details_json(&self, pos: u32) -> Option<Vec<Value>> {
        let user = self.user_json(pos)?;
        let user_id = user["id"].as_str().unwrap_or_default().to_string();
        let skus = self.subscribed_skus_json();
        let assigned = user["assignedLicenses"].as_array().cloned().unwrap_or_default();
        Some(
            assigned
                .iter()
                .filter_map(|a| {
                    let sku_id = a["skuId"].as_str()?;
                    let sku = skus.iter().find(|s| s["skuId"] == sku_id)?;
                    let disabled: Vec<&str> = a["disabledPlans"]
                        .as_array()
                        .map(|d| d.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    let plans: Vec<Value> = sku["servicePlans"]
                        .as_array()
                        .map(|list| {
                            list.iter()
                                .map(|p| {
                                    let mut p = p.clone();
                                    let off = p["servicePlanId"]
                                        .as_str()
                                        .is_some_and(|id| disabled.contains(&id));
                                    if off {
                                        p["provisioningStatus"] = json!("Disabled");
                                    }
                                    p
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    Some(json!({
                        "id": license_details_id(&user_id, sku_id),
                        "skuId": sku_id,
                        "skuPartNumber": sku["skuPartNumber"],
                        "servicePlans": plans,
                    }))
                })
                .collect(),
        )
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
            "allowedDomainGuidsForSyncApp": if p == Profile::Hardened { json!([object_id(self.seed, "sync-domain", 0).to_string()]) } else { json!([]) },
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
}

/// Graph's licenseDetails ids are opaque base64url strings unique per user and SKU.
fn license_details_id(user_id: &str, sku_id: &str) -> String {
    let hex: String = format!("{sku_id}{user_id}")
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect();
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).ok())
        .collect();
    base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes)
}
