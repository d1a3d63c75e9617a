//! Users and their authentication-method registration, generated from (seed, position).

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};

use super::Tenant;
use super::roster::RESERVED_USERS;
use crate::clock::iso;
use crate::ids::{self, object_id, unit};
use crate::spec::Profile;

const GIVEN: [&str; 24] = [
    "Adele", "Alex", "Ben", "Chloe", "Diego", "Elena", "Farah", "Grace", "Hiro", "Isla", "Jonas", "Kara",
    "Liam", "Maya", "Noah", "Olga", "Priya", "Quentin", "Rosa", "Sam", "Tomas", "Uma", "Viktor", "Wen",
];
const SURNAMES: [&str; 24] = [
    "Vance", "Wilber", "Ortiz", "Nguyen", "Schmidt", "Rossi", "Haddad", "Kowalski", "Tanaka", "Okafor",
    "Larsen", "Dubois", "Moreau", "Silva", "Petrov", "Novak", "Fischer", "Costa", "Jensen", "Murphy", "Sato",
    "Ibrahim", "Lopez", "Keller",
];
const DEPARTMENTS: [&str; 8] = [
    "Finance",
    "Engineering",
    "Sales",
    "Marketing",
    "Legal",
    "Operations",
    "HR",
    "Support",
];

/// Every user property the simulator models, sorted (the order serde_json writes keys in).
pub const USER_PROPERTIES: [&str; 27] = [
    "accountEnabled",
    "assignedLicenses",
    "businessPhones",
    "createdDateTime",
    "creationType",
    "department",
    "displayName",
    "externalUserState",
    "externalUserStateChangeDateTime",
    "givenName",
    "id",
    "jobTitle",
    "lastPasswordChangeDateTime",
    "mail",
    "mailNickname",
    "mobilePhone",
    "officeLocation",
    "onPremisesImmutableId",
    "onPremisesLastSyncDateTime",
    "onPremisesSyncEnabled",
    "passwordPolicies",
    "preferredLanguage",
    "signInActivity",
    "surname",
    "usageLocation",
    "userPrincipalName",
    "userType",
];

/// Stock-keeping unit ids used in assignedLicenses and subscribedSkus.
pub const SKU_E5: &str = "06ebc4ee-1bb5-47dd-8120-11324bc54e06";
pub const SKU_E3: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";

/// Facts about one generated user that several collections share.
#[derive(Clone, Debug)]
pub struct UserFacts {
    pub pos: u32,
    pub id: String,
    pub given: String,
    pub surname: String,
    pub display_name: String,
    pub upn: String,
    pub mail: String,
    pub guest: bool,
    pub enabled: bool,
    pub synced: bool,
    pub mfa_registered: bool,
    pub created: DateTime<Utc>,
    /// Days before the epoch of the last interactive sign-in; `None` = never signed in.
    pub last_sign_in_days: Option<i64>,
    pub pending_invitation: bool,
}

fn profile_rates(p: Profile) -> (f64, f64, f64, f64, f64) {
    // (guest share, disabled share, synced share, MFA registered share, stale share)
    match p {
        Profile::Hardened => (0.03, 0.02, 0.3, 0.99, 0.02),
        Profile::Typical => (0.08, 0.04, 0.4, 0.85, 0.10),
        Profile::Neglected => (0.15, 0.06, 0.6, 0.45, 0.25),
    }
}

impl Tenant {
    /// Facts about the user at `pos`, or `None` when the position is empty or deleted.
    pub fn user_facts(&self, pos: u32) -> Option<UserFacts> {
        if self.overlay.deleted_users.contains(&pos) {
            return None;
        }
        if pos >= self.layout.users {
            let added = self.overlay.added_users.get((pos - self.layout.users) as usize)?;
            let mut parts = added.display_name.splitn(2, ' ');
            let given = parts.next().unwrap_or("New").to_string();
            let surname = parts.next().unwrap_or("User").to_string();
            let local = added.display_name.to_lowercase().replace(' ', ".");
            let upn = if added.guest {
                format!("{local}_partner.example#EXT#@{}", self.domain)
            } else {
                format!("{local}@{}", self.domain)
            };
            return Some(UserFacts {
                pos,
                id: added.id.to_string(),
                given,
                surname,
                display_name: added.display_name.clone(),
                mail: if added.guest {
                    format!("{local}@partner.example")
                } else {
                    upn.clone()
                },
                upn,
                guest: added.guest,
                enabled: true,
                synced: false,
                mfa_registered: false,
                created: added.created,
                last_sign_in_days: None,
                pending_invitation: added.guest,
            });
        }
        let s = self.seed;
        let (guest_rate, disabled_rate, synced_rate, mfa_rate, stale_rate) = profile_rates(self.profile());
        let reserved = pos < RESERVED_USERS;
        let given = GIVEN[ids::pick(s, "given", u64::from(pos), 24) as usize].to_string();
        let surname = SURNAMES[ids::pick(s, "surname", u64::from(pos), 24) as usize].to_string();
        let guest = !reserved && unit(s, "guest", u64::from(pos)) < guest_rate;
        let breakglass = self.roster.breakglass.contains(&pos);
        let (display_name, local) = if breakglass {
            let n = pos + 1;
            (format!("Emergency Access {n:02}"), format!("breakglass{n:02}"))
        } else if reserved {
            (
                format!("{given} {surname}"),
                format!("admin.{}.{}", given, surname).to_lowercase(),
            )
        } else {
            (
                format!("{given} {surname}"),
                format!("{given}.{surname}{pos}").to_lowercase(),
            )
        };
        let (upn, mail) = if guest {
            let ext = format!("{local}_partner{}.example", pos % 7);
            (
                format!("{ext}#EXT#@{}", self.domain),
                format!("{local}@partner{}.example", pos % 7),
            )
        } else {
            let upn = format!("{local}@{}", self.domain);
            (upn.clone(), upn)
        };
        let synced = if reserved {
            self.roster.synced_admins.contains(&pos)
        } else {
            !guest && unit(s, "synced", u64::from(pos)) < synced_rate
        };
        let mfa_registered = if reserved {
            !self.roster.admins_without_mfa.contains(&pos)
        } else {
            unit(s, "mfa", u64::from(pos)) < mfa_rate
        };
        let enabled_base = reserved || unit(s, "disabled", u64::from(pos)) >= disabled_rate;
        let enabled = self
            .overlay
            .user_overrides
            .get(&pos)
            .and_then(|o| o.account_enabled)
            .unwrap_or(enabled_base);
        let display_name = self
            .overlay
            .user_overrides
            .get(&pos)
            .and_then(|o| o.display_name.clone())
            .unwrap_or(display_name);
        let created = self.created + Duration::days(ids::pick(s, "created", u64::from(pos), 850) as i64);
        let stale = !reserved && unit(s, "stale", u64::from(pos)) < stale_rate;
        let pending_invitation = guest && unit(s, "pending", u64::from(pos)) < 0.3;
        let last_sign_in_days = if pending_invitation || (stale && pos.is_multiple_of(5)) {
            None
        } else if stale {
            Some(91 + ids::pick(s, "signin", u64::from(pos), 300) as i64)
        } else {
            Some(ids::pick(s, "signin", u64::from(pos), 30) as i64)
        };
        Some(UserFacts {
            pos,
            id: object_id(s, "user", pos).to_string(),
            given,
            surname,
            display_name,
            upn,
            mail,
            guest,
            enabled,
            synced,
            mfa_registered,
            created,
            last_sign_in_days,
            pending_invitation,
        })
    }

    /// The full user object (every property the simulator models, including signInActivity).
    pub fn user_json(&self, pos: u32) -> Option<Value> {
        let f = self.user_facts(pos)?;
        let mut m = Map::with_capacity(USER_PROPERTIES.len());
        for key in USER_PROPERTIES {
            m.insert(key.to_string(), self.user_property(&f, key));
        }
        Some(Value::Object(m))
    }

    /// Writes the user at `pos` as a JSON object holding exactly `keys` (sorted, as serde_json
    /// orders object keys), computing only those properties. Returns false for an empty slot.
    pub fn write_user(&self, pos: u32, keys: &[&str], out: &mut Vec<u8>) -> bool {
        let Some(f) = self.user_facts(pos) else {
            return false;
        };
        out.push(b'{');
        for (i, key) in keys.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let _ = serde_json::to_writer(&mut *out, key);
            out.push(b':');
            let _ = serde_json::to_writer(&mut *out, &self.user_property(&f, key));
        }
        out.push(b'}');
        true
    }

    /// One property of a user; `null` for properties the simulator does not model.
    pub fn user_property(&self, f: &UserFacts, key: &str) -> Value {
        let p = u64::from(f.pos);
        let s = self.seed;
        match key {
            "id" => json!(f.id),
            "displayName" => json!(f.display_name),
            "givenName" => json!(f.given),
            "surname" => json!(f.surname),
            "userPrincipalName" => json!(f.upn),
            "mail" => json!(f.mail),
            "mailNickname" => json!(f.upn.split('@').next().unwrap_or_default()),
            "jobTitle" if f.guest => Value::Null,
            "jobTitle" => json!(if self.roster.is_admin(f.pos) {
                "IT Administrator"
            } else {
                "Specialist"
            }),
            "businessPhones" => json!([]),
            "officeLocation" if f.guest => Value::Null,
            "officeLocation" => json!(format!("Building {}", p % 12 + 1)),
            "preferredLanguage" => json!("en-US"),
            "department" => json!(DEPARTMENTS[(p % 8) as usize]),
            "usageLocation" => json!("US"),
            "accountEnabled" => json!(f.enabled),
            "userType" => json!(if f.guest { "Guest" } else { "Member" }),
            "createdDateTime" => json!(iso(f.created)),
            "creationType" if f.guest => json!("Invitation"),
            "externalUserState" if f.guest => {
                json!(if f.pending_invitation {
                    "PendingAcceptance"
                } else {
                    "Accepted"
                })
            }
            "externalUserStateChangeDateTime" if f.guest => json!(iso(f.created + Duration::hours(3))),
            "lastPasswordChangeDateTime" => {
                let days = ids::pick(s, "pwchange", p, 400) as i64;
                json!(iso(self.epoch - Duration::days(days)))
            }
            "passwordPolicies" if self.profile() == Profile::Neglected && p % 3 == 0 => {
                json!("DisablePasswordExpiration")
            }
            "onPremisesSyncEnabled" if f.synced => json!(true),
            "onPremisesImmutableId" if f.synced => json!(base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                ids::hash3(s, "immutable", p).to_be_bytes(),
            )),
            "onPremisesLastSyncDateTime" if f.synced => json!(iso(self.epoch - Duration::minutes(37))),
            "assignedLicenses" => {
                if f.guest || (f.pos < RESERVED_USERS && self.profile() == Profile::Hardened) {
                    json!([])
                } else {
                    let sku = if self.licences().e5 { SKU_E5 } else { SKU_E3 };
                    json!([{ "skuId": sku, "disabledPlans": [] }])
                }
            }
            "signInActivity" => self.sign_in_activity(f),
            _ => Value::Null,
        }
    }

    fn sign_in_activity(&self, f: &UserFacts) -> Value {
        let Some(days) = f.last_sign_in_days else {
            return json!({
                "lastSignInDateTime": null, "lastSignInRequestId": null,
                "lastNonInteractiveSignInDateTime": null, "lastNonInteractiveSignInRequestId": null,
                "lastSuccessfulSignInDateTime": null, "lastSuccessfulSignInRequestId": null,
            });
        };
        let p = u64::from(f.pos);
        let minutes = ids::pick(self.seed, "signin-minute", p, 1440) as i64;
        let at = self.epoch - Duration::days(days) - Duration::minutes(minutes);
        let nonint = at + Duration::minutes(ids::pick(self.seed, "nonint", p, 600) as i64);
        let rid = |k: &str| object_id(self.seed, k, f.pos).to_string();
        let (at, request) = (iso(at), rid("signin-req"));
        json!({
            "lastSignInDateTime": at,
            "lastSignInRequestId": request,
            "lastNonInteractiveSignInDateTime": iso(nonint.min(self.epoch)),
            "lastNonInteractiveSignInRequestId": rid("signin-nonint"),
            "lastSuccessfulSignInDateTime": at,
            "lastSuccessfulSignInRequestId": request,
        })
    }

    /// The authentication-method registration report row for the user at `pos`.
    pub fn registration_json(&self, pos: u32) -> Option<Value> {
        let f = self.user_facts(pos)?;
        let admin = self.roster.is_admin(pos);
        let methods: Vec<&str> = if !f.mfa_registered {
            if pos.is_multiple_of(2) {
                vec!["email"]
            } else {
                vec![]
            }
        } else if admin && self.profile() == Profile::Hardened {
            vec!["fido2", "microsoftAuthenticatorPush", "windowsHelloForBusiness"]
        } else if pos.is_multiple_of(4) {
            vec!["mobilePhone", "microsoftAuthenticatorPush"]
        } else {
            vec!["microsoftAuthenticatorPush", "softwareOneTimePasscode"]
        };
        let passwordless = methods.contains(&"fido2") || methods.contains(&"windowsHelloForBusiness");
        let preferred = if !f.mfa_registered {
            "none"
        } else if methods.contains(&"mobilePhone") {
            "sms"
        } else {
            "push"
        };
        let sspr = f.mfa_registered || pos.is_multiple_of(3);
        Some(json!({
            "id": f.id,
            "userPrincipalName": f.upn,
            "userDisplayName": f.display_name,
            "userType": if f.guest { "guest" } else { "member" },
            "isAdmin": admin,
            "isMfaRegistered": f.mfa_registered,
            "isMfaCapable": f.mfa_registered && f.enabled,
            "isPasswordlessCapable": passwordless,
            "isSsprRegistered": sspr,
            "isSsprEnabled": !f.guest,
            "isSsprCapable": sspr && !f.guest,
            "isSystemPreferredAuthenticationMethodEnabled": self.profile() != Profile::Neglected,
            "lastUpdatedDateTime": iso(self.epoch - Duration::hours(6)),
            "methodsRegistered": methods,
            "systemPreferredAuthenticationMethods": if f.mfa_registered { json!(["push"]) } else { json!([]) },
            "userPreferredMethodForSecondaryAuthentication": preferred,
        }))
    }
}
