//! Conditional Access policies and named locations per profile.

use chrono::Duration;
use serde_json::{Value, json};

use super::Tenant;
use super::directory::privileged_templates;
use crate::clock::iso;
use crate::ids::object_id;
use crate::spec::Profile;

pub const STRENGTH_PHISHING_RESISTANT: &str = "00000000-0000-0000-0000-000000000004";
pub const STRENGTH_MFA: &str = "00000000-0000-0000-0000-000000000002";
/// The first-party application Microsoft Intune Enrollment.
pub const INTUNE_ENROLLMENT_APP: &str = "d4ebce55-015a-49b5-a083-c84d1797ae8c";

/// A CA policy as generated, before overlay mutations.
struct CaDraft {
    name: &'static str,
    state: &'static str,
    users: Value,
    apps: Value,
    client_app_types: Vec<&'static str>,
    grant: Value,
    session: Value,
    user_risk: Vec<&'static str>,
    sign_in_risk: Vec<&'static str>,
    platforms: Value,
    flows: Value,
    locations: Value,
}

fn strength(id: &str) -> Value {
    let (name, combos): (&str, Vec<&str>) = if id == STRENGTH_PHISHING_RESISTANT {
        (
            "Phishing-resistant MFA",
            vec!["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"],
        )
    } else {
        (
            "Multifactor authentication",
            vec![
                "windowsHelloForBusiness",
                "fido2",
                "x509CertificateMultiFactor",
                "deviceBasedPush",
                "temporaryAccessPassOneTime",
                "password,microsoftAuthenticatorPush",
                "password,softwareOath",
                "password,sms",
            ],
        )
    };
    json!({
        "id": id, "displayName": name, "description": format!("Built-in {name} strength"),
        "policyType": "builtIn", "requirementsSatisfied": "mfa", "allowedCombinations": combos,
        "createdDateTime": "2021-12-01T08:00:00Z", "modifiedDateTime": "2021-12-01T08:00:00Z",
    })
}

fn grant(operator: &str, controls: &[&str], strength_id: Option<&str>) -> Value {
    json!({
        "operator": operator,
        "builtInControls": controls,
        "customAuthenticationFactors": [],
        "termsOfUse": [],
        "authenticationStrength": strength_id.map(strength),
    })
}

impl Tenant {
    fn users_condition(
        &self,
        include: &[&str],
        exclude_breakglass: bool,
        extra_excluded_groups: Vec<String>,
        roles: Vec<&str>,
    ) -> Value {
        let exclude: Vec<String> = if exclude_breakglass {
            self.roster.breakglass.iter().map(|p| self.user_id(*p)).collect()
        } else {
            vec![]
        };
        json!({
            "includeUsers": if roles.is_empty() { json!(include) } else { json!([]) },
            "excludeUsers": exclude,
            "includeGroups": [],
            "excludeGroups": extra_excluded_groups,
            "includeRoles": roles,
            "excludeRoles": [],
            "includeGuestsOrExternalUsers": null,
            "excludeGuestsOrExternalUsers": null,
        })
    }

    fn apps(include: &[&str], actions: &[&str]) -> Value {
        json!({
            "includeApplications": include, "excludeApplications": [], "includeUserActions": actions,
            "includeAuthenticationContextClassReferences": [], "applicationFilter": null,
        })
    }

    fn ca_drafts(&self) -> Vec<CaDraft> {
        let all = || self.users_condition(&["All"], true, vec![], vec![]);
        let admins = || self.users_condition(&[], true, vec![], privileged_templates());
        let base = |name, state, users, grant_v| CaDraft {
            name,
            state,
            users,
            apps: Self::apps(&["All"], &[]),
            client_app_types: vec!["all"],
            grant: grant_v,
            session: Value::Null,
            user_risk: vec![],
            sign_in_risk: vec![],
            platforms: Value::Null,
            flows: Value::Null,
            locations: Value::Null,
        };
        let p2 = self.licences().has_p2();
        match self.profile() {
            Profile::Hardened => {
                let mut v = vec![
                    CaDraft {
                        client_app_types: vec!["exchangeActiveSync", "other"],
                        ..base(
                            "CA001: Block legacy authentication",
                            "enabled",
                            all(),
                            grant("OR", &["block"], None),
                        )
                    },
                    base(
                        "CA002: Require MFA for all users",
                        "enabled",
                        all(),
                        grant("OR", &["mfa"], None),
                    ),
                    base(
                        "CA003: Require phishing-resistant MFA for all users",
                        "enabled",
                        all(),
                        grant("OR", &[], Some(STRENGTH_PHISHING_RESISTANT)),
                    ),
                    CaDraft {
                        session: json!({
                            "applicationEnforcedRestrictions": null, "cloudAppSecurity": null, "disableResilienceDefaults": false,
                            "persistentBrowser": { "isEnabled": true, "mode": "never" },
                            "signInFrequency": { "isEnabled": true, "value": 4, "type": "hours", "authenticationType": "primaryAndSecondaryAuthentication", "frequencyInterval": "timeBased" },
                        }),
                        ..base(
                            "CA004: Phishing-resistant MFA for administrators",
                            "enabled",
                            admins(),
                            grant("OR", &[], Some(STRENGTH_PHISHING_RESISTANT)),
                        )
                    },
                    base(
                        "CA007: Require compliant or hybrid joined device",
                        "enabled",
                        all(),
                        grant("OR", &["compliantDevice", "domainJoinedDevice"], None),
                    ),
                    CaDraft {
                        apps: Self::apps(&[], &["urn:user:registersecurityinfo"]),
                        ..base(
                            "CA008: Managed device to register security info",
                            "enabled",
                            all(),
                            grant("OR", &["compliantDevice", "domainJoinedDevice"], None),
                        )
                    },
                    CaDraft {
                        flows: json!({ "transferMethods": "deviceCodeFlow,authenticationTransfer" }),
                        ..base(
                            "CA009: Block device code flow",
                            "enabled",
                            all(),
                            grant("OR", &["block"], None),
                        )
                    },
                ];
                if p2 {
                    v.push(CaDraft {
                        user_risk: vec!["high"],
                        ..base(
                            "CA005: Block high user risk",
                            "enabled",
                            all(),
                            grant("OR", &["block"], None),
                        )
                    });
                    v.push(CaDraft {
                        sign_in_risk: vec!["high", "medium"],
                        ..base(
                            "CA006: Block medium and high sign-in risk",
                            "enabled",
                            all(),
                            grant("OR", &["block"], None),
                        )
                    });
                }
                v.extend(self.hardened_session_and_location_drafts());
                v
            }
            Profile::Typical => {
                let project_group = self.group_id(super::groups::FIRST_REGULAR_GROUP + 1);
                let mut v = vec![
                    CaDraft {
                        client_app_types: vec!["exchangeActiveSync", "other"],
                        ..base(
                            "Block legacy authentication",
                            "enabledForReportingButNotEnforced",
                            all(),
                            grant("OR", &["block"], None),
                        )
                    },
                    base(
                        "Require MFA for all users",
                        "enabled",
                        self.users_condition(&["All"], true, vec![project_group], vec![]),
                        grant("OR", &["mfa"], None),
                    ),
                    base(
                        "Require MFA for administrators",
                        "enabled",
                        admins(),
                        grant("OR", &["mfa"], None),
                    ),
                    CaDraft {
                        platforms: json!({ "includePlatforms": ["windows"], "excludePlatforms": [] }),
                        ..base(
                            "Require compliant Windows devices",
                            "enabled",
                            all(),
                            grant("OR", &["compliantDevice"], None),
                        )
                    },
                ];
                if p2 {
                    v.push(CaDraft {
                        user_risk: vec!["high"],
                        ..base(
                            "Block high user risk",
                            "enabled",
                            all(),
                            grant("OR", &["block"], None),
                        )
                    });
                    v.push(CaDraft {
                        sign_in_risk: vec!["high"],
                        ..base(
                            "Sign-in risk policy",
                            "enabledForReportingButNotEnforced",
                            all(),
                            grant("OR", &["block"], None),
                        )
                    });
                }
                v.push(self.typical_admin_session_draft());
                v
            }
            Profile::Neglected => vec![
                base(
                    "MFA pilot",
                    "disabled",
                    self.users_condition(&[&self.user_id(12)], false, vec![], vec![]),
                    grant("OR", &["mfa"], None),
                ),
                CaDraft {
                    client_app_types: vec!["exchangeActiveSync", "other"],
                    ..base(
                        "Block legacy auth (test)",
                        "disabled",
                        all(),
                        grant("OR", &["block"], None),
                    )
                },
            ],
        }
    }

    /// Hardened: admin portals closed to non-administrators, session limits for everyone
    /// (sign-in frequency, no persistent browser, app-enforced restrictions for the idle timeout on
    /// unmanaged devices), a fresh MFA sign-in for every Intune enrollment and sign-ins from the
    /// blocked countries refused.
    fn hardened_session_and_location_drafts(&self) -> Vec<CaDraft> {
        let mut non_admins = self.users_condition(&["All"], true, vec![], vec![]);
        non_admins["excludeRoles"] = json!(privileged_templates());
        let draft = |name, users, apps, grant_v, session| CaDraft {
            name,
            state: "enabled",
            users,
            apps,
            client_app_types: vec!["all"],
            grant: grant_v,
            session,
            user_risk: vec![],
            sign_in_risk: vec![],
            platforms: Value::Null,
            flows: Value::Null,
            locations: Value::Null,
        };
        vec![
            draft(
                "CA010: Block admin portals for non-administrators",
                non_admins,
                Self::apps(&["MicrosoftAdminPortals"], &[]),
                grant("OR", &["block"], None),
                Value::Null,
            ),
            draft(
                "CA011: Session limits for all users",
                self.users_condition(&["All"], true, vec![], vec![]),
                Self::apps(&["All"], &[]),
                Value::Null,
                json!({
                    "applicationEnforcedRestrictions": { "isEnabled": true }, "cloudAppSecurity": null, "disableResilienceDefaults": false,
                    "persistentBrowser": { "isEnabled": true, "mode": "never" },
                    "signInFrequency": { "isEnabled": true, "value": 12, "type": "hours", "authenticationType": "primaryAndSecondaryAuthentication", "frequencyInterval": "timeBased" },
                }),
            ),
            draft(
                "CA013: Re-authenticate for Intune enrollment",
                self.users_condition(&["All"], true, vec![], vec![]),
                Self::apps(&[INTUNE_ENROLLMENT_APP], &[]),
                grant("OR", &["mfa"], None),
                json!({
                    "applicationEnforcedRestrictions": null, "cloudAppSecurity": null, "disableResilienceDefaults": false,
                    "persistentBrowser": null,
                    "signInFrequency": { "isEnabled": true, "value": null, "type": null, "authenticationType": "primaryAndSecondaryAuthentication", "frequencyInterval": "everyTime" },
                }),
            ),
            CaDraft {
                locations: json!({
                    "includeLocations": [object_id(self.seed, "named-location", 1).to_string()],
                    "excludeLocations": [],
                }),
                ..draft(
                    "CA012: Block sign-ins from blocked countries",
                    self.users_condition(&["All"], true, vec![], vec![]),
                    Self::apps(&["All"], &[]),
                    grant("OR", &["block"], None),
                    Value::Null,
                )
            },
        ]
    }

    /// Typical: a day-long sign-in frequency for administrators, persistent browser sessions left
    /// to the user, and the emergency-access accounts (Global Administrators) not excluded.
    fn typical_admin_session_draft(&self) -> CaDraft {
        CaDraft {
            name: "Sign-in frequency for administrators",
            state: "enabled",
            users: self.users_condition(&[], false, vec![], privileged_templates()),
            apps: Self::apps(&["All"], &[]),
            client_app_types: vec!["all"],
            grant: Value::Null,
            session: json!({
                "applicationEnforcedRestrictions": null, "cloudAppSecurity": null, "disableResilienceDefaults": false,
                "persistentBrowser": null,
                "signInFrequency": { "isEnabled": true, "value": 1, "type": "days", "authenticationType": "primaryAndSecondaryAuthentication", "frequencyInterval": "timeBased" },
            }),
            user_risk: vec![],
            sign_in_risk: vec![],
            platforms: Value::Null,
            flows: Value::Null,
            locations: Value::Null,
        }
    }

    pub fn ca_policy_id(&self, k: usize) -> String {
        object_id(self.seed, "ca-policy", k as u32).to_string()
    }

    pub fn ca_policies_json(&self) -> Vec<Value> {
        self.ca_drafts()
            .into_iter()
            .enumerate()
            .map(|(k, d)| {
                let id = self.ca_policy_id(k);
                let set = self.overlay.ca_states.get(&id);
                let created = self.epoch - Duration::days(300 - k as i64 * 7);
                json!({
                    "id": id,
                    "displayName": d.name,
                    "createdDateTime": iso(created),
                    "modifiedDateTime": match set { Some((_, at)) => json!(iso(*at)), None => json!(iso(created + Duration::days(12))) },
                    "state": set.map_or(d.state, |(state, _)| state.as_str()),
                    "templateId": null,
                    "conditions": {
                        "users": d.users,
                        "applications": d.apps,
                        "clientApplications": null,
                        "clientAppTypes": d.client_app_types,
                        "platforms": d.platforms,
                        "locations": d.locations,
                        "devices": null,
                        "userRiskLevels": d.user_risk,
                        "signInRiskLevels": d.sign_in_risk,
                        "servicePrincipalRiskLevels": [],
                        "insiderRiskLevels": null,
                        "authenticationFlows": d.flows,
                    },
                    "grantControls": d.grant,
                    "sessionControls": d.session,
                })
            })
            .collect()
    }

    pub fn named_locations_json(&self) -> Vec<Value> {
        let created = iso(self.epoch - Duration::days(400));
        let mut v = vec![json!({
            "@odata.type": "#microsoft.graph.ipNamedLocation",
            "id": object_id(self.seed, "named-location", 0).to_string(),
            "displayName": "Corporate network",
            "createdDateTime": created,
            "modifiedDateTime": created,
            "isTrusted": self.profile() != Profile::Neglected,
            "ipRanges": [
                { "@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "203.0.113.0/24" },
                { "@odata.type": "#microsoft.graph.iPv6CidrRange", "cidrAddress": "2001:db8:1234::/48" },
            ],
        })];
        if self.profile() != Profile::Neglected {
            v.push(json!({
                "@odata.type": "#microsoft.graph.countryNamedLocation",
                "id": object_id(self.seed, "named-location", 1).to_string(),
                "displayName": "Blocked countries",
                "createdDateTime": created,
                "modifiedDateTime": created,
                "countriesAndRegions": ["KP", "IR"],
                "includeUnknownCountriesAndRegions": true,
                "countryLookupMethod": "clientIpAddress",
            }));
        }
        v
    }
}
