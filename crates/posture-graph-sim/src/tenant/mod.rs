//! A simulated tenant: its identity, app registration, generated layout and the overlay of
//! mutations on top of the generated objects. Objects are produced on demand from
//! (seed, index); only mutations are stored.

pub mod apps;
pub mod config;
pub mod credentials;
pub mod directory;
pub mod exchange;
pub mod footprint;
pub mod governance;
pub mod groups;
pub mod mde;
pub mod mutate;
pub mod org;
pub mod policies;
pub mod roster;
pub mod security;
pub mod settings;
pub mod users;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::faults::FaultState;
use crate::ids::{self, object_id};
use crate::permissions::{self, Resource};
use crate::spec::{
    CertificateInfo, FaultSpec, Licences, Profile, RequestRecord, SecretInfo, SecretValue, TenantInfo,
    TenantSpec, ThrottleMode,
};
pub use roster::Roster;

const ORG_NAMES: [&str; 12] = [
    "Contoso",
    "Fabrikam",
    "Northwind",
    "Tailspin",
    "Woodgrove",
    "Litware",
    "Proseware",
    "Wingtip",
    "Adatum",
    "Lamna",
    "Relecloud",
    "Trey Research",
];

/// Sizes of the generated collections, proportional to the user count.
#[derive(Clone, Debug)]
pub struct Layout {
    pub users: u32,
    pub groups: u32,
    pub devices: u32,
    pub machines: u32,
    pub alerts: u32,
    pub incidents: u32,
    pub audits: u32,
    pub sign_ins: u32,
    pub vulnerabilities: u32,
    /// Records per Management Activity blob; `None`: 3 to 8, varying per blob.
    pub audit_records_per_blob: Option<u32>,
}

impl Layout {
    pub fn for_users(requested: u32) -> Self {
        let users = requested.max(roster::RESERVED_USERS);
        Layout {
            users,
            groups: (users / 20).max(6),
            devices: users * 9 / 10,
            machines: users * 8 / 10,
            alerts: (users / 40).max(4),
            incidents: (users / 80).max(2),
            audits: (users / 2).max(40),
            sign_ins: (users * 2).max(100),
            vulnerabilities: 60,
            audit_records_per_blob: None,
        }
    }

    /// The proportional layout with the sizes `sizes` names instead.
    pub fn with_sizes(mut self, sizes: &crate::spec::Sizes) -> Self {
        if let Some(devices) = sizes.devices {
            self.devices = devices;
        }
        if let Some(machines) = sizes.machines {
            self.machines = machines;
        }
        self.audit_records_per_blob = sizes.audit_records_per_blob;
        self
    }
}

/// Properties changed on a user by mutations.
#[derive(Clone, Debug, Default)]
pub struct UserOverride {
    pub account_enabled: Option<bool>,
    pub display_name: Option<String>,
}

/// A user added by a mutation.
#[derive(Clone, Debug)]
pub struct AddedUser {
    pub id: Uuid,
    pub display_name: String,
    pub guest: bool,
    pub created: DateTime<Utc>,
}

/// What a change-log entry is about.
#[derive(Clone, Debug)]
pub enum ChangeKind {
    User {
        id: String,
        removed: bool,
    },
    GroupMembers {
        group: u32,
        added: Vec<String>,
        removed: Vec<String>,
    },
    Other(String),
}

#[derive(Clone, Debug)]
pub struct Change {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub kind: ChangeKind,
}

/// Mutations applied on top of the generated tenant.
#[derive(Clone, Debug, Default)]
pub struct Overlay {
    pub user_overrides: HashMap<u32, UserOverride>,
    pub added_users: Vec<AddedUser>,
    pub deleted_users: HashSet<u32>,
    /// Extra Global Administrators by user id.
    pub extra_global_admins: Vec<String>,
    /// Conditional Access policies whose state was set, with the state and when.
    pub ca_states: HashMap<String, (String, DateTime<Utc>)>,
    pub sharepoint_sharing: Option<String>,
    pub group_added: HashMap<u32, Vec<String>>,
    pub group_removed: HashMap<u32, HashSet<String>>,
    /// Defender's latest measurement (time, exposure score, configuration score), once remeasured.
    pub mde_scores: Option<(DateTime<Utc>, f64, i64)>,
    /// Directory audit events of the administrator's changes made through the admin API, oldest
    /// first; they come before the generated log (which ends at the epoch), newest first.
    pub admin_audits: Vec<serde_json::Value>,
}

/// Subscription state of one Management Activity content type.
#[derive(Clone, Debug)]
pub struct ActivitySubscription {
    pub enabled: bool,
    pub since: DateTime<Utc>,
}

pub struct Tenant {
    pub id: Uuid,
    pub seed: u64,
    pub spec: TenantSpec,
    pub display_name: String,
    pub domain: String,
    pub created: DateTime<Utc>,
    /// The sim clock's epoch: generated timestamps are relative to it.
    pub epoch: DateTime<Utc>,
    pub layout: Layout,
    pub roster: Roster,
    pub client_id: Uuid,
    pub app_object_id: Uuid,
    pub sp_object_id: Uuid,
    pub secrets: Vec<SecretInfo>,
    pub certificates: Vec<(CertificateInfo, rsa::RsaPublicKey)>,
    pub granted: BTreeMap<Resource, Vec<String>>,
    pub throttling: ThrottleMode,
    pub overlay: Overlay,
    pub changes: Vec<Change>,
    pub next_seq: u64,
    pub faults: FaultState,
    pub log: VecDeque<RequestRecord>,
    pub counters: BTreeMap<String, BTreeMap<u16, u64>>,
    pub subscriptions: BTreeMap<String, ActivitySubscription>,
    /// Sign-ins of the tenant's app (one per token issued), oldest first; see `footprint.rs`.
    pub sp_sign_ins: VecDeque<serde_json::Value>,
    /// Whether the app's service principal holds an Exchange role (see `exchange.rs`).
    pub exchange_role: bool,
    /// How the simulator's DNS server fails this tenant's names, if it does (see `dns.rs`).
    pub dns_failure: Option<crate::spec::DnsFailure>,
}

/// Request log entries kept per tenant; older ones are dropped.
pub const LOG_CAPACITY: usize = 100_000;

impl Tenant {
    /// Builds a tenant; `ordinal` disambiguates tenants created with the same seed.
    pub fn generate(spec: TenantSpec, ordinal: u64, now: DateTime<Utc>, epoch: DateTime<Utc>) -> Self {
        let seed = ids::mix(spec.seed ^ ordinal.wrapping_mul(0x1000_0001));
        let id = object_id(seed, "tenant", 0);
        let base = ORG_NAMES[ids::pick(seed, "org", 0, ORG_NAMES.len() as u64) as usize];
        let suffix = format!("{:04x}", ids::hash3(seed, "org-suffix", 0) & 0xFFFF);
        let display_name = spec
            .display_name
            .clone()
            .unwrap_or_else(|| format!("{base} {}", suffix.to_uppercase()));
        let domain = format!(
            "{}{}.onmicrosoft.com",
            base.to_lowercase().replace(' ', ""),
            suffix
        );
        let client_id = spec.client_id.unwrap_or_else(|| object_id(seed, "client", 0));
        let secret_value = spec
            .client_secret
            .clone()
            .unwrap_or_else(|| ids::secret_value(seed, 0));
        let secret = SecretInfo {
            secret_id: object_id(seed, "secret", 0),
            value: SecretValue::new(secret_value),
            expires_at: now + chrono::Duration::days(spec.secret_expires_in_days),
        };
        let granted = permissions::grant(spec.permissions.as_deref());
        let layout = Layout::for_users(spec.users).with_sizes(&spec.sizes);
        Tenant {
            id,
            seed,
            display_name,
            domain,
            created: epoch - chrono::Duration::days(900 + ids::pick(seed, "age", 0, 900) as i64),
            epoch,
            layout,
            roster: Roster::for_profile(spec.profile),
            client_id,
            app_object_id: object_id(seed, "app-object", 0),
            sp_object_id: object_id(seed, "sp-object", 0),
            secrets: vec![secret],
            certificates: Vec::new(),
            granted,
            throttling: spec.throttling,
            overlay: Overlay::default(),
            changes: Vec::new(),
            next_seq: 1,
            faults: FaultState::new(FaultSpec::default()),
            log: VecDeque::new(),
            counters: BTreeMap::new(),
            subscriptions: BTreeMap::new(),
            sp_sign_ins: VecDeque::new(),
            exchange_role: true,
            dns_failure: None,
            spec,
        }
    }

    pub fn profile(&self) -> Profile {
        self.spec.profile
    }

    pub fn licences(&self) -> Licences {
        self.spec.licences
    }

    pub fn info(&self) -> TenantInfo {
        let first = &self.secrets[0];
        TenantInfo {
            tenant_id: self.id,
            display_name: self.display_name.clone(),
            default_domain: self.domain.clone(),
            profile: self.spec.profile,
            seed: self.spec.seed,
            users: self.layout.users,
            client_id: self.client_id,
            client_secret: first.value.clone(),
            secret_id: first.secret_id,
            secret_expires_at: first.expires_at,
            granted_permissions: self
                .granted
                .iter()
                .map(|(r, p)| (r.as_str().to_string(), p.clone()))
                .collect(),
            licences: self.spec.licences,
            throttling: self.throttling,
            secrets: self.secrets.clone(),
            certificates: self.certificates.iter().map(|(c, _)| c.clone()).collect(),
        }
    }

    /// Appends to the delta change log.
    pub fn record_change(&mut self, at: DateTime<Utc>, kind: ChangeKind) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.changes.push(Change { seq, at, kind });
    }

    pub fn push_log(&mut self, record: RequestRecord) {
        let key = format!("{} {}", record.method, record.api);
        *self
            .counters
            .entry(key)
            .or_default()
            .entry(record.status)
            .or_default() += 1;
        if self.log.len() >= LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(record);
    }

    /// The id of the user at `pos` (generated or added).
    pub fn user_id(&self, pos: u32) -> String {
        if pos < self.layout.users {
            object_id(self.seed, "user", pos).to_string()
        } else {
            self.overlay
                .added_users
                .get((pos - self.layout.users) as usize)
                .map(|u| u.id.to_string())
                .unwrap_or_default()
        }
    }

    /// The position of a user id, if the user exists (deleted users excluded).
    pub fn user_pos(&self, id: &str) -> Option<u32> {
        let pos = ids::parse_index(self.seed, "user", id)
            .filter(|p| *p < self.layout.users)
            .or_else(|| {
                self.overlay
                    .added_users
                    .iter()
                    .position(|u| u.id.to_string().eq_ignore_ascii_case(id))
                    .map(|i| self.layout.users + i as u32)
            })?;
        (!self.overlay.deleted_users.contains(&pos)).then_some(pos)
    }

    /// Number of user positions (generated plus added; deleted ones still occupy a position).
    pub fn user_positions(&self) -> u32 {
        self.layout.users + self.overlay.added_users.len() as u32
    }

    pub fn group_id(&self, idx: u32) -> String {
        object_id(self.seed, "group", idx).to_string()
    }

    pub fn group_index(&self, id: &str) -> Option<u32> {
        ids::parse_index(self.seed, "group", id).filter(|g| *g < self.layout.groups)
    }
}
