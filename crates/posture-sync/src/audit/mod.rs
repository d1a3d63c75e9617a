//! Audit event streams: per tenant, the five Management Activity content types, Entra directory
//! audits and sign-ins, and the service-principal sign-ins of Posture's own app (when and from
//! where Posture read the tenant). Events are not inventory: they are appended once per record
//! to their own store with a time cursor per stream, kept for a retention period, and searched by
//! time. The sync role reads every synced tenant's streams on an interval of their own (see
//! docs/architecture.md) and prunes what is older than the retention.

mod feed;
mod logs;
mod normalize;
mod on_run;

pub use on_run::AuditAfterRun;

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use posture_graph::{GraphClient, GraphError};
use posture_kit::clock::SharedClock;
use posture_kit::ids::TenantId;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::connection::{ConnectionError, TenantDirectory};
use crate::store::{InventoryStore, StoreError};
use logs::GraphLog;

/// The Management Activity content types read for every tenant.
pub const CONTENT_TYPES: [&str; 5] = [
    "Audit.AzureActiveDirectory",
    "Audit.Exchange",
    "Audit.SharePoint",
    "Audit.General",
    "DLP.All",
];
/// Source of Entra directory audits.
pub const DIRECTORY_AUDITS: &str = "directory_audits";
/// Source of Entra (interactive) sign-ins.
pub const SIGN_INS: &str = "sign_ins";
/// Source of the sign-ins of Posture's own app in the tenant.
pub const SERVICE_PRINCIPAL_SIGN_INS: &str = "service_principal_sign_ins";

/// Every stream a tenant has, in the order they are read: Entra's logs first (a few pages each,
/// and the directory log is what drift waits for to say who changed an object), then the
/// Management Activity feed (a first read lists 7 days of content).
pub fn streams() -> impl Iterator<Item = &'static str> {
    [DIRECTORY_AUDITS, SIGN_INS, SERVICE_PRINCIPAL_SIGN_INS]
        .into_iter()
        .chain(CONTENT_TYPES)
}

/// Why a stream could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Microsoft's answer, classified (permission with the missing names, licence, throttling).
    #[error(transparent)]
    Graph(Box<GraphError>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Connection(#[from] ConnectionError),
}

impl AuditError {
    /// What an administrator does about it, when it is theirs to fix.
    pub fn fix(&self) -> Option<String> {
        match self {
            AuditError::Graph(error) => match error.as_ref() {
                GraphError::Permission { needs, .. } => Some(format!(
                    "add the application permission {} to Posture's app registration and grant admin consent again",
                    needs.join(" or ")
                )),
                GraphError::LicenceMissing { licence, .. } => {
                    Some(format!("this stream needs a {licence} licence in the tenant"))
                }
                GraphError::Authentication { .. } => {
                    Some("check the connection's credentials (posture tenants test)".to_owned())
                }
                _ => None,
            },
            AuditError::Connection(ConnectionError::NotConnected { .. }) => {
                Some("connect the tenant again (posture tenants add)".to_owned())
            }
            _ => None,
        }
    }
}

/// What one read of one stream did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamRead {
    /// Records stored that were not stored before.
    pub added: u64,
    /// Where the stream is now complete up to.
    pub complete_until: Option<DateTime<Utc>>,
}

/// How audit streams are kept.
#[derive(Debug, Clone)]
pub struct AuditSettings {
    /// Events older than this are pruned and not stored (`sync.audit_retention_days`).
    pub retention: Duration,
    /// How often every synced tenant's streams are read and old events pruned
    /// (`sync.audit_interval_secs`).
    pub interval: StdDuration,
    /// Also read a tenant's streams as soon as one of its sync runs completes
    /// (`sync.audit_after_sync`). Off here, so roles embedded in tests read only when asked;
    /// the configuration turns it on by default.
    pub after_runs: bool,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            retention: Duration::days(90),
            interval: StdDuration::from_secs(900),
            after_runs: false,
        }
    }
}

/// Reads tenants' audit streams into the store.
#[derive(Clone)]
pub struct AuditIngest {
    pub store: InventoryStore,
    /// Where each tenant's connection (its app id) and API clients come from.
    pub directory: TenantDirectory,
    pub clock: SharedClock,
    pub settings: AuditSettings,
}

impl AuditIngest {
    /// Reads one stream of a tenant from its cursor, recording the outcome on the stream (a
    /// failure keeps the cursor where it was and names the reason).
    pub async fn read_stream(
        &self,
        client: &GraphClient,
        tenant: TenantId,
        stream: &'static str,
        own_app_id: &str,
    ) -> Result<StreamRead, AuditError> {
        let now = self.clock.now();
        let keep_after = now - self.settings.retention;
        let outcome = match stream {
            DIRECTORY_AUDITS => {
                logs::read(
                    &self.store,
                    client,
                    tenant,
                    (GraphLog::DirectoryAudits, stream),
                    now,
                    keep_after,
                )
                .await
            }
            SIGN_INS => {
                logs::read(
                    &self.store,
                    client,
                    tenant,
                    (GraphLog::SignIns, stream),
                    now,
                    keep_after,
                )
                .await
            }
            SERVICE_PRINCIPAL_SIGN_INS => {
                let log = GraphLog::ServicePrincipalSignIns(own_app_id.to_owned());
                logs::read(&self.store, client, tenant, (log, stream), now, keep_after).await
            }
            content_type => feed::read(&self.store, client, tenant, content_type, now, keep_after).await,
        };
        if let Err(error) = &outcome {
            let reason = match error.fix() {
                Some(fix) => format!("{error}. Fix: {fix}"),
                None => error.to_string(),
            };
            tracing::warn!(%tenant, stream, %reason, "audit stream read failed");
            self.store
                .save_audit_stream(&tenant, stream, None, Some(&reason), now)
                .await?;
        }
        outcome
    }

    /// Reads every stream of `tenant`; a stream that fails does not stop the others.
    pub async fn read_tenant(&self, tenant: TenantId) -> Result<u64, AuditError> {
        let connection = self.directory.connection(&tenant).await?;
        let client = self.directory.client(&tenant).await?;
        let mut added = 0;
        for stream in streams() {
            if let Ok(read) = self
                .read_stream(&client, tenant, stream, &connection.client_id)
                .await
            {
                added += read.added;
            }
        }
        Ok(added)
    }

    /// Deletes the events past the retention.
    pub async fn prune(&self) -> Result<u64, StoreError> {
        self.store
            .prune_audit_events(self.clock.now() - self.settings.retention)
            .await
    }

    /// Prunes at once, then every interval reads every synced tenant's streams and prunes, until
    /// `shutdown`. The first read waits an interval: a starting replica has nothing urgent to read
    /// (completed runs trigger reads of their own) and many replicas starting together would
    /// otherwise all read every tenant at once. Several replicas may still read the same stream:
    /// records are stored once and cursors only move forward, so the cost is repeated requests,
    /// not wrong data.
    pub fn spawn(self, shutdown: CancellationToken, tasks: &TaskTracker) {
        tasks.spawn(async move {
            self.prune_logged().await;
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(self.settings.interval) => {}
                }
                match self.store.synced_tenants().await {
                    Ok(tenants) => {
                        for tenant in tenants {
                            // A read cut off here is safe: a window's cursor moves only once the
                            // window is stored, so the next read lists it again.
                            let read = tokio::select! {
                                () = shutdown.cancelled() => return,
                                read = self.read_tenant(tenant) => read,
                            };
                            match read {
                                Ok(added) => tracing::debug!(%tenant, added, "read audit streams"),
                                Err(error) => tracing::info!(%tenant, %error, "audit streams not read"),
                            }
                        }
                    }
                    Err(error) => tracing::warn!(%error, "cannot list tenants for audit streams"),
                }
                self.prune_logged().await;
            }
        });
    }

    async fn prune_logged(&self) {
        match self.prune().await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "pruned audit events past retention"),
            Err(error) => tracing::warn!(%error, "pruning audit events failed"),
        }
    }
}
