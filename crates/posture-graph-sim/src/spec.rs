//! Public configuration and descriptions of simulated tenants: what a test asks for
//! (`TenantSpec`, `FaultSpec`, `Mutation`) and what it gets back (`TenantInfo`).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::SimError;

/// How a tenant is configured, which decides which controls pass or fail.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    Hardened,
    #[default]
    Typical,
    Neglected,
}

impl Profile {
    pub const ALL: [Profile; 3] = [Profile::Hardened, Profile::Typical, Profile::Neglected];

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Hardened => "hardened",
            Profile::Typical => "typical",
            Profile::Neglected => "neglected",
        }
    }
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "hardened" => Ok(Profile::Hardened),
            "typical" => Ok(Profile::Typical),
            "neglected" => Ok(Profile::Neglected),
            other => Err(format!(
                "unknown profile '{other}' (expected hardened, typical or neglected)"
            )),
        }
    }
}

/// Licences bought by the tenant. `e5` implies all the others.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Licences {
    pub p1: bool,
    pub p2: bool,
    pub intune: bool,
    pub defender_p2: bool,
    pub e5: bool,
}

impl Default for Licences {
    fn default() -> Self {
        Licences {
            p1: true,
            p2: true,
            intune: true,
            defender_p2: true,
            e5: true,
        }
    }
}

impl Licences {
    pub fn none() -> Self {
        Licences {
            p1: false,
            p2: false,
            intune: false,
            defender_p2: false,
            e5: false,
        }
    }
    pub fn has_p1(&self) -> bool {
        self.p1 || self.p2 || self.e5
    }
    pub fn has_p2(&self) -> bool {
        self.p2 || self.e5
    }
    pub fn has_intune(&self) -> bool {
        self.intune || self.e5
    }
    pub fn has_defender(&self) -> bool {
        self.defender_p2 || self.e5
    }
}

/// How strictly a tenant's requests are throttled.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum ThrottleMode {
    Off,
    #[default]
    Realistic,
    /// Microsoft's limits multiplied by `factor` (e.g. 0.1 to throttle sooner, 100 to almost never).
    Scaled {
        factor: f64,
    },
}

/// What a test asks for; `{}` is a valid spec (typical profile, 50 users, every licence and permission).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TenantSpec {
    pub profile: Profile,
    pub seed: u64,
    pub users: u32,
    pub licences: Licences,
    /// Application permission names granted to the app; `None` grants everything Posture needs.
    pub permissions: Option<Vec<String>>,
    pub secret_expires_in_days: i64,
    pub display_name: Option<String>,
    pub throttling: ThrottleMode,
    /// Reuse one multi-tenant app registration across tenants: its client id ...
    pub client_id: Option<uuid::Uuid>,
    /// ... and its secret value.
    pub client_secret: Option<String>,
    /// Fault injection applied from the start.
    pub faults: Option<FaultSpec>,
    /// Collection sizes other than the ones proportional to `users` (benchmarks ask for exact
    /// sizes).
    pub sizes: Sizes,
}

/// Collection sizes that replace the defaults proportional to the user count.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Sizes {
    /// Intune managed devices (default: 9 in 10 users).
    pub devices: Option<u32>,
    /// Defender for Endpoint machines (default: 8 in 10 users); the open vulnerabilities follow
    /// them (one per machine in the typical profile).
    pub machines: Option<u32>,
    /// Records in each Management Activity content blob, one blob per hour and content type
    /// (default: 3 to 8). 8,334 makes about a million records a day over the five content types.
    pub audit_records_per_blob: Option<u32>,
}

impl Default for TenantSpec {
    fn default() -> Self {
        TenantSpec {
            profile: Profile::Typical,
            seed: 1,
            users: 50,
            licences: Licences::default(),
            permissions: None,
            secret_expires_in_days: 365,
            display_name: None,
            throttling: ThrottleMode::Realistic,
            client_id: None,
            client_secret: None,
            faults: None,
            sizes: Sizes::default(),
        }
    }
}

/// A secret value: serialised in clear (the admin API hands it out) but never printed by Debug.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretValue(String);

impl SecretValue {
    pub fn new(value: impl Into<String>) -> Self {
        SecretValue(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A client secret registered on the tenant's app.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SecretInfo {
    pub secret_id: uuid::Uuid,
    pub value: SecretValue,
    pub expires_at: DateTime<Utc>,
}

/// A certificate registered on the tenant's app for signed client assertions.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CertificateInfo {
    /// base64url SHA-1 of the DER certificate, as carried in the assertion's `x5t` header.
    pub x5t: String,
    pub thumbprint_hex: String,
}

/// What a test gets back after creating a tenant.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TenantInfo {
    pub tenant_id: uuid::Uuid,
    pub display_name: String,
    pub default_domain: String,
    pub profile: Profile,
    pub seed: u64,
    pub users: u32,
    pub client_id: uuid::Uuid,
    pub client_secret: SecretValue,
    pub secret_id: uuid::Uuid,
    pub secret_expires_at: DateTime<Utc>,
    /// Granted application permissions per resource (`graph`, `mde`, `manage`).
    pub granted_permissions: BTreeMap<String, Vec<String>>,
    pub licences: Licences,
    pub throttling: ThrottleMode,
    pub secrets: Vec<SecretInfo>,
    pub certificates: Vec<CertificateInfo>,
}

/// Latency added to matching requests.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Latency {
    Fixed { ms: u64 },
    Uniform { min_ms: u64, max_ms: u64 },
}

/// One fault rule: applies to requests whose API path matches `path` (`*` matches anything).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FaultRule {
    pub path: String,
    pub method: Option<String>,
    /// Share of requests answered with one of `error_statuses` (0.0–1.0).
    pub error_rate: f64,
    pub error_statuses: Vec<u16>,
    pub latency: Option<Latency>,
    /// Share of requests whose connection is closed without any response.
    pub drop_rate: f64,
    /// Share of responses whose JSON body is replaced by malformed JSON.
    pub malformed_rate: f64,
    /// Share of responses whose JSON body is cut in the middle.
    pub truncate_rate: f64,
    /// Delta requests carrying a token answer 410 Gone with a `Location` for a full resync.
    pub delta_gone: bool,
}

impl Default for FaultRule {
    fn default() -> Self {
        FaultRule {
            path: "*".into(),
            method: None,
            error_rate: 0.0,
            error_statuses: vec![500, 502, 503, 504],
            latency: None,
            drop_rate: 0.0,
            malformed_rate: 0.0,
            truncate_rate: 0.0,
            delta_gone: false,
        }
    }
}

/// Fault injection for one tenant; deterministic for a given `seed` and request order.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FaultSpec {
    pub seed: u64,
    pub rules: Vec<FaultRule>,
}

/// A change to a tenant, recorded in its delta change log.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Mutation {
    /// Assign Global Administrator to `user_id`, or to a new cloud-only user when absent.
    AddGlobalAdmin {
        user_id: Option<String>,
    },
    DisableCaPolicy {
        policy_id: String,
    },
    /// Set a Conditional Access policy's state (`enabled`, `disabled` or
    /// `enabledForReportingButNotEnforced`), as an administrator editing it would.
    SetCaPolicyState {
        policy_id: String,
        state: String,
    },
    SetSharepointSharing {
        sharing_capability: String,
    },
    AddUser {
        id: Option<uuid::Uuid>,
        display_name: Option<String>,
        #[serde(default)]
        guest: bool,
    },
    DeleteUser {
        user_id: String,
    },
    UpdateUser {
        user_id: String,
        account_enabled: Option<bool>,
        display_name: Option<String>,
    },
    AddGroupMember {
        group_id: String,
        member_id: String,
    },
    RemoveGroupMember {
        group_id: String,
        member_id: String,
    },
    /// Defender measures the tenant's exposure score (0-100) and configuration score (points)
    /// anew, at the sim clock's now.
    MeasureDefenderScores {
        exposure_score: f64,
        configuration_score: i64,
    },
    /// Assign or remove the Exchange role (a directory role such as Global Reader, or an
    /// Exchange RBAC role) held by the tenant's app; without one Exchange Online's admin API
    /// refuses every cmdlet even with `Exchange.ManageAsApp` consented.
    SetExchangeRole {
        assigned: bool,
    },
    /// An administrator changes the app's admin consent: exactly these application permissions
    /// stay granted (`None` grants everything Posture needs again). Tokens issued before keep
    /// their roles until they expire; the next token carries the new grant.
    SetAppPermissions {
        permissions: Option<Vec<String>>,
    },
    /// Make the simulator's DNS server fail every query for the tenant's domains (`servfail`
    /// answers SERVFAIL, `timeout` answers nothing), or answer again when `failure` is absent.
    SetDnsFailure {
        #[serde(default)]
        failure: Option<DnsFailure>,
    },
}

/// How the simulator's DNS server fails a tenant's names (see [`Mutation::SetDnsFailure`]).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DnsFailure {
    /// Answer SERVFAIL, as a broken authoritative server does.
    Servfail,
    /// Answer nothing, so the resolver times out.
    Timeout,
}

/// One request as the simulator saw it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RequestRecord {
    pub method: String,
    /// Path and query as received (after routing prefix removal, e.g. `/v1.0/users?$top=5`).
    pub path: String,
    pub api: String,
    pub status: u16,
    pub time: DateTime<Utc>,
    pub client_request_id: Option<String>,
    pub retry_after: Option<String>,
    pub fault: Option<String>,
}

/// Objects and counts of one collection as the simulator holds them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GroundTruth {
    pub collection: String,
    pub count: usize,
    pub objects: Vec<serde_json::Value>,
}

/// Simulator-wide configuration.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// Address to bind; port 0 picks a free one.
    pub bind: std::net::SocketAddr,
    /// Address of the DNS server (UDP and TCP); absent: `bind`'s address on a free port.
    pub dns_bind: Option<std::net::SocketAddr>,
    /// PEM files for TLS; plain HTTP when absent.
    pub tls_cert: Option<std::path::PathBuf>,
    pub tls_key: Option<std::path::PathBuf>,
    /// The sim clock's epoch: every generated timestamp is relative to it.
    pub epoch: DateTime<Utc>,
    /// Whether the sim clock also moves with wall time (it always moves with `advance_clock`).
    pub clock_runs: bool,
    /// Tenants created at start.
    pub tenants: Vec<TenantSpec>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            bind: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            dns_bind: None,
            tls_cert: None,
            tls_key: None,
            epoch: default_epoch(),
            clock_runs: false,
            tenants: Vec::new(),
        }
    }
}

/// 2026-06-01T00:00:00Z: the fixed epoch that makes generated data reproducible.
pub fn default_epoch() -> DateTime<Utc> {
    DateTime::from_timestamp(1_780_272_000, 0).unwrap_or_default()
}

/// The simulator's TOML configuration file (see `examples/sim.toml`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimFile {
    pub bind: Option<std::net::SocketAddr>,
    /// Address of the DNS server; absent: `bind`'s address on a free port.
    pub dns_bind: Option<std::net::SocketAddr>,
    pub tls_cert: Option<std::path::PathBuf>,
    pub tls_key: Option<std::path::PathBuf>,
    /// RFC 3339 time, or `now` (rounded down to the hour).
    pub epoch: Option<String>,
    pub clock_runs: Option<bool>,
    pub tenants: Vec<TenantSpec>,
}

impl SimFile {
    pub fn parse(text: &str) -> Result<SimFile, SimError> {
        toml::from_str(text).map_err(|e| SimError::Invalid(format!("simulator config: {e}")))
    }

    /// The epoch named by `epoch`, `fallback` when absent.
    pub fn epoch_or(&self, fallback: DateTime<Utc>) -> Result<DateTime<Utc>, SimError> {
        match self.epoch.as_deref() {
            None => Ok(fallback),
            Some("now") => Ok(hour_floor(Utc::now())),
            Some(t) => DateTime::parse_from_rfc3339(t)
                .map(|d| d.with_timezone(&Utc))
                .map_err(|e| SimError::Invalid(format!("epoch '{t}' is neither 'now' nor RFC 3339: {e}"))),
        }
    }
}

/// `t` with minutes, seconds and fractions cleared.
pub fn hour_floor(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp() - t.timestamp().rem_euclid(3600), 0).unwrap_or(t)
}
