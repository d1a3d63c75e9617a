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
        self.user_json_with(pos, None)
    }

    /// The user object; with `want`, costly properties outside it are skipped (the caller
    /// projects the result to `want` anyway).
    pub fn user_json_with(&self, pos: u32, want: Option<&[&str]>) -> Option<Value> {
        let wanted = |k: &str| want.is_none_or(|w| w.contains(&k));
        let f = self.user_facts(pos)?;
        let s = self.seed;
        let p = u64::from(pos);
        let sku = if self.licences().e5 { SKU_E5 } else { SKU_E3 };
        let mut m = Map::with_capacity(32);
        m.insert("id".into(), json!(f.id));
        m.insert("displayName".into(), json!(f.display_name));
        m.insert("givenName".into(), json!(f.given));
        m.insert("surname".into(), json!(f.surname));
        m.insert("userPrincipalName".into(), json!(f.upn));
        m.insert("mail".into(), json!(f.mail));
        m.insert(
            "mailNickname".into(),
            json!(f.upn.split('@').next().unwrap_or_default()),
        );
        let title = if self.roster.is_admin(pos) {
            "IT Administrator"
        } else {
            "Specialist"
        };
        m.insert(
            "jobTitle".into(),
            if f.guest { Value::Null } else { json!(title) },
        );
        m.insert("businessPhones".into(), json!([]));
        m.insert("mobilePhone".into(), Value::Null);
        m.insert(
            "officeLocation".into(),
            if f.guest {
                Value::Null
            } else {
                json!(format!("Building {}", p % 12 + 1))
            },
        );
        m.insert("preferredLanguage".into(), json!("en-US"));
        m.insert("department".into(), json!(DEPARTMENTS[(p % 8) as usize]));
        m.insert("usageLocation".into(), json!("US"));
        m.insert("accountEnabled".into(), json!(f.enabled));
        m.insert("userType".into(), json!(if f.guest { "Guest" } else { "Member" }));
        m.insert("createdDateTime".into(), json!(iso(f.created)));
        m.insert(
            "creationType".into(),
            if f.guest { json!("Invitation") } else { Value::Null },
        );
        if f.guest {
            let state = if f.pending_invitation {
                "PendingAcceptance"
            } else {
                "Accepted"
            };
            m.insert("externalUserState".into(), json!(state));
            m.insert(
                "externalUserStateChangeDateTime".into(),
                json!(iso(f.created + Duration::hours(3))),
            );
        } else {
            m.insert("externalUserState".into(), Value::Null);
            m.insert("externalUserStateChangeDateTime".into(), Value::Null);
        }
        if wanted("lastPasswordChangeDateTime") {
            let pw_days = ids::pick(s, "pwchange", p, 400) as i64;
            m.insert(
                "lastPasswordChangeDateTime".into(),
                json!(iso(self.epoch - Duration::days(pw_days))),
            );
        }
        let never_expire = self.profile() == Profile::Neglected && p % 3 == 0;
        m.insert(
            "passwordPolicies".into(),
            if never_expire {
                json!("DisablePasswordExpiration")
            } else {
                Value::Null
            },
        );
        if f.synced && (wanted("onPremisesImmutableId") || wanted("onPremisesLastSyncDateTime")) {
            m.insert("onPremisesSyncEnabled".into(), json!(true));
            let immutable = base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                ids::hash3(s, "immutable", p).to_be_bytes(),
            );
            m.insert("onPremisesImmutableId".into(), json!(immutable));
            m.insert(
                "onPremisesLastSyncDateTime".into(),
                json!(iso(self.epoch - Duration::minutes(37))),
            );
        } else if f.synced {
            m.insert("onPremisesSyncEnabled".into(), json!(true));
        } else {
            m.insert("onPremisesSyncEnabled".into(), Value::Null);
            m.insert("onPremisesImmutableId".into(), Value::Null);
            m.insert("onPremisesLastSyncDateTime".into(), Value::Null);
        }
        let licences = if f.guest || (pos < RESERVED_USERS && self.profile() == Profile::Hardened) {
            json!([])
        } else {
            json!([{ "skuId": sku, "disabledPlans": [] }])
        };
        m.insert("assignedLicenses".into(), licences);
        if wanted("signInActivity") {
            m.insert("signInActivity".into(), self.sign_in_activity(&f));
        }
        Some(Value::Object(m))
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
        json!({
            "lastSignInDateTime": iso(at),
            "lastSignInRequestId": rid("signin-req"),
            "lastNonInteractiveSignInDateTime": iso(nonint.min(self.epoch)),
            "lastNonInteractiveSignInRequestId": rid("signin-nonint"),
            "lastSuccessfulSignInDateTime": iso(at),
            "lastSuccessfulSignInRequestId": rid("signin-req"),
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
