//! A faithful local simulator of the Microsoft identity platform, Microsoft Graph, Defender
//! for Endpoint and the Office 365 Management Activity API, serving synthetic tenants that are
//! generated on demand from (seed, profile, size). See the crate README for the admin API,
//! profiles and fault settings.

pub mod activity;
pub mod admin;
pub mod clock;
pub mod dns;
pub mod error;
pub mod exo;
pub mod faults;
pub mod graph;
pub mod http;
pub mod identity;
pub mod ids;
pub mod jwt;
pub mod mde;
pub mod permissions;
pub mod profiles;
pub mod spec;
pub mod state;
pub mod tenant;
pub mod throttle;
pub mod truth;

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use error::SimError;
pub use profiles::{ControlExpectation, Evidence, Outcome, TenantExpectation, expectations};
pub use spec::{
    CertificateInfo, DnsFailure, FaultRule, FaultSpec, GroundTruth, Latency, Licences, Mutation, Profile,
    RequestRecord, SecretInfo, SecretValue, SimConfig, SimFile, Sizes, TenantInfo, TenantSpec, ThrottleMode,
    default_epoch, hour_floor,
};
use state::{SimState, read, write};
use tenant::credentials;

/// A running simulator: one port serving every API plus the admin API.
pub struct Simulator {
    state: Arc<SimState>,
    addr: SocketAddr,
    dns_addr: SocketAddr,
    tls: bool,
    stop: CancellationToken,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Simulator {
    /// Binds and starts serving; tenants in `config.tenants` are created first.
    pub async fn start(config: SimConfig) -> Result<Simulator, SimError> {
        jwt::token_key().map_err(SimError::Crypto)?;
        let state = Arc::new(SimState::new(clock::SimClock::new(
            config.epoch,
            config.clock_runs,
        )));
        for spec in config.tenants.clone() {
            state.create_tenant(spec)?;
        }
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(c), Some(k)) => Some(http::server::tls_acceptor(c, k)?),
            (None, None) => None,
            _ => {
                return Err(SimError::Tls(
                    "both tls_cert and tls_key are needed for TLS".into(),
                ));
            }
        };
        let listener = TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let stop = CancellationToken::new();
        let is_tls = tls.is_some();
        let server = tokio::spawn(http::server::serve(listener, tls, state.clone(), stop.clone()));
        let (udp, tcp, dns_addr) =
            dns::bind(config.dns_bind.unwrap_or_else(|| SocketAddr::new(addr.ip(), 0))).await?;
        tokio::spawn(dns::serve(udp, tcp, state.clone(), stop.clone()));
        Ok(Simulator {
            state,
            addr,
            dns_addr,
            tls: is_tls,
            stop,
            server: Some(server),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The DNS server answering the tenants' mail records (UDP and TCP), see [`dns`].
    pub fn dns_addr(&self) -> SocketAddr {
        self.dns_addr
    }

    /// `http://127.0.0.1:PORT/` (or `https://` with TLS).
    pub fn base_url(&self) -> url::Url {
        let scheme = if self.tls { "https" } else { "http" };
        url::Url::parse(&format!("{scheme}://{}/", self.addr))
            .expect("a socket address always forms a valid URL")
    }

    pub fn create_tenant(&self, spec: TenantSpec) -> Result<TenantInfo, SimError> {
        self.state.create_tenant(spec)
    }

    pub fn tenant_info(&self, tenant_id: &str) -> Result<TenantInfo, SimError> {
        Ok(read(&self.state.tenant_or_err(tenant_id)?).info())
    }

    pub fn tenants(&self) -> Vec<TenantInfo> {
        self.state.all_tenants().iter().map(|t| read(t).info()).collect()
    }

    pub fn set_faults(&self, tenant_id: &str, faults: FaultSpec) -> Result<(), SimError> {
        faults::validate_faults(&faults)?;
        write(&self.state.tenant_or_err(tenant_id)?).faults.set(faults);
        Ok(())
    }

    pub fn set_throttling(&self, tenant_id: &str, mode: ThrottleMode) -> Result<(), SimError> {
        write(&self.state.tenant_or_err(tenant_id)?).throttling = mode;
        Ok(())
    }

    /// Requests the tenant's APIs received (token requests included), oldest first.
    pub fn request_log(&self, tenant_id: &str) -> Vec<RequestRecord> {
        self.state
            .tenant(tenant_id)
            .map(|t| read(&t).log.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Requests per "METHOD api-route" and status.
    pub fn counters(
        &self,
        tenant_id: &str,
    ) -> std::collections::BTreeMap<String, std::collections::BTreeMap<u16, u64>> {
        self.state
            .tenant(tenant_id)
            .map(|t| read(&t).counters.clone())
            .unwrap_or_default()
    }

    pub fn advance_clock(&self, by: std::time::Duration) {
        self.state.clock.advance(by);
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.state.clock.now()
    }

    pub fn mutate(&self, tenant_id: &str, mutation: Mutation) -> Result<(), SimError> {
        let t = self.state.tenant_or_err(tenant_id)?;
        let now = self.state.clock.now();
        write(&t).apply(mutation, now).map(|_| ())
    }

    /// Every object of a collection (Graph path such as `users`, or `mde/machines`).
    pub fn ground_truth(&self, tenant_id: &str, collection: &str) -> Result<GroundTruth, SimError> {
        let t = self.state.tenant_or_err(tenant_id)?;
        let found = truth::ground_truth(&read(&t), collection);
        found.ok_or_else(|| SimError::Invalid(format!("unknown collection '{collection}'")))
    }

    /// Every Management Activity record of `content_type` in the blobs created within
    /// `[from, to)`, as the feed serves them (ground truth for audit ingestion).
    pub fn activity_records(
        &self,
        tenant_id: &str,
        content_type: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<serde_json::Value>, SimError> {
        let t = self.state.tenant_or_err(tenant_id)?;
        let now = self.state.clock.now();
        Ok(activity::records_created_between(
            &read(&t),
            content_type,
            from,
            to,
            now,
        ))
    }

    /// The sign-ins of the tenant's app (one per token issued), newest first, as Graph beta lists
    /// them by event type `servicePrincipal`.
    pub fn service_principal_sign_ins(&self, tenant_id: &str) -> Result<Vec<serde_json::Value>, SimError> {
        Ok(read(&self.state.tenant_or_err(tenant_id)?).service_principal_sign_ins_json())
    }

    pub fn expectations(&self, tenant_id: &str) -> Result<Vec<TenantExpectation>, SimError> {
        Ok(read(&self.state.tenant_or_err(tenant_id)?).expectations())
    }

    /// Registers a PEM certificate on the tenant's app for signed client assertions.
    pub fn register_certificate(&self, tenant_id: &str, pem: &str) -> Result<CertificateInfo, SimError> {
        credentials::register_certificate(&mut write(&self.state.tenant_or_err(tenant_id)?), pem)
    }

    /// Adds a client secret expiring in `expires_in_days` (negative: already expired).
    pub fn add_secret(&self, tenant_id: &str, expires_in_days: i64) -> Result<SecretInfo, SimError> {
        credentials::check_secret_days(expires_in_days)?;
        let t = self.state.tenant_or_err(tenant_id)?;
        let now = self.state.clock.now();
        Ok(credentials::add_secret(&mut write(&t), expires_in_days, now))
    }

    /// Stops accepting, closes open connections and waits for the listener to end.
    pub async fn shutdown(mut self) {
        self.stop.cancel();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for Simulator {
    /// A simulator dropped without `shutdown` still stops serving.
    fn drop(&mut self) {
        self.stop.cancel();
    }
}
