//! Scheduled configuration backups: every interval, each synced tenant's configuration objects
//! as of the start of the interval, written from the inventory in the `posture_backup` archive
//! format to a folder or an S3-compatible bucket, and the tenant's archives past retention
//! deleted. The sync role runs it because it owns the inventory the archives are read from.
//!
//! Archives are named `<prefix>/<tenant>/<tenant>-<YYYYMMDDTHHMMSSZ>.tar.gz` by the time they are
//! as of. Because that time is the start of the interval and the archive format is deterministic,
//! several sync processes write the same bytes under the same name: no coordination is needed,
//! and a process that finds the archive of the current interval already there skips it.
//!
//! Failures are logged and counted (`posture_sync_backups_total{outcome="failed"}`); credentials
//! of the bucket are never logged (errors name the destination without them).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use posture_backup::{BackupObject, Snapshot};
use posture_kit::config::BackupConfig;
use posture_kit::ids::TenantId;
use posture_kit::telemetry::MetricsRegistry;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use secrecy::ExposeSecret;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::kinds;
use crate::store::{InventoryStore, ObjectQuery};

/// Objects read from the store per query while building a snapshot.
const PAGE: u32 = 1000;
const TIME_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// Why a backup could not be written or pruned.
#[derive(Debug, thiserror::Error)]
pub enum BackupWriteError {
    /// The configuration names a destination this build cannot use.
    #[error("backup destination: {0}")]
    Destination(String),
    #[error("reading the inventory: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("building the archive: {0}")]
    Archive(#[from] posture_backup::BackupError),
    #[error("{destination}: {source}")]
    ObjectStore {
        /// The destination without credentials (they are never part of it).
        destination: String,
        source: object_store::Error,
    },
    #[error("stored content of {kind} {object_id} is not JSON: {source}")]
    Content {
        kind: &'static str,
        object_id: String,
        source: serde_json::Error,
    },
}

/// What the writer does, from `backup.*`.
#[derive(Debug, Clone)]
pub struct BackupSettings {
    /// The destination URL as configured (`file:///dir` or `s3://bucket/prefix`).
    pub destination: String,
    pub interval: Duration,
    /// Archives older than this are deleted; `None`: no age limit.
    pub retention: Option<chrono::Duration>,
    /// At most this many archives are kept per tenant; `None`: no count limit.
    pub keep: Option<usize>,
    /// The bucket's settings, for an `s3://` destination.
    pub s3: posture_kit::config::S3Config,
}

impl BackupSettings {
    /// The writer's settings, or `None` when no destination is configured.
    pub fn from_config(config: &BackupConfig) -> Option<Self> {
        let destination = config.destination.trim();
        if destination.is_empty() {
            return None;
        }
        Some(Self {
            destination: destination.to_owned(),
            interval: Duration::from_secs(config.interval_secs.max(1)),
            retention: (config.retention_days > 0)
                .then(|| chrono::Duration::days(i64::from(config.retention_days))),
            keep: (config.retention_count > 0).then_some(config.retention_count as usize),
            s3: config.s3.clone(),
        })
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    /// `written`, `skipped` (already there), `failed` or `pruned`.
    outcome: &'static str,
}

/// `posture_sync_backups_total{outcome}`.
#[derive(Debug, Clone, Default)]
struct BackupMetrics {
    archives: Family<OutcomeLabels, Counter>,
}

impl BackupMetrics {
    fn register(registry: &MetricsRegistry) -> Self {
        registry.shared(|registry| {
            let metrics = Self::default();
            registry.register(
                "sync_backups",
                "Scheduled configuration backup archives by outcome: written, skipped (already written by another process), failed, pruned",
                metrics.archives.clone(),
            );
            metrics
        })
    }

    fn count(&self, outcome: &'static str, n: u64) {
        if n > 0 {
            self.archives.get_or_create(&OutcomeLabels { outcome }).inc_by(n);
        }
    }
}

/// Writes and prunes the archives of every synced tenant.
#[derive(Clone)]
pub struct BackupWriter {
    store: InventoryStore,
    target: Arc<dyn ObjectStore>,
    /// The folder within the bucket (empty for a folder destination).
    prefix: String,
    settings: BackupSettings,
    metrics: BackupMetrics,
}

/// Where a tenant's archive went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenArchive {
    /// The object's path within the destination.
    pub path: String,
    /// False when an archive of the same time was already there.
    pub written: bool,
}

impl BackupWriter {
    /// A writer to the configured destination; a folder is created if missing.
    pub fn new(
        store: InventoryStore,
        settings: BackupSettings,
        metrics: &MetricsRegistry,
    ) -> Result<Self, BackupWriteError> {
        let (target, prefix) = open_destination(&settings)?;
        Ok(Self {
            store,
            target,
            prefix,
            settings,
            metrics: BackupMetrics::register(metrics),
        })
    }

    /// Runs every `interval` until `shutdown`: a backup of each synced tenant, then pruning.
    pub fn spawn(self, shutdown: CancellationToken, tasks: &TaskTracker) {
        tasks.spawn(async move {
            loop {
                let now = Utc::now();
                let at = self.slot(now);
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = self.run_once(at, now) => {}
                }
                let next = at + chrono::Duration::from_std(self.settings.interval).unwrap_or_default();
                let wait = (next - Utc::now()).to_std().unwrap_or(Duration::from_millis(10));
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(wait) => {}
                }
            }
        });
    }

    /// The start of the interval `now` falls in: the time this interval's archives are as of.
    pub fn slot(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let interval = i64::try_from(self.settings.interval.as_secs().max(1)).unwrap_or(86_400);
        let seconds = now.timestamp().div_euclid(interval) * interval;
        Utc.timestamp_opt(seconds, 0).single().unwrap_or(now)
    }

    /// One pass: every synced tenant's archive as of `at`, then its pruning against `now`.
    /// Failures are logged and counted; one tenant's failure does not stop the others.
    pub async fn run_once(&self, at: DateTime<Utc>, now: DateTime<Utc>) {
        let tenants = match self.store.synced_tenants().await {
            Ok(tenants) => tenants,
            Err(error) => {
                tracing::warn!(%error, "scheduled backups: cannot list the synced tenants");
                self.metrics.count("failed", 1);
                return;
            }
        };
        for tenant in tenants {
            match self.export(&tenant, at).await {
                Ok(archive) => {
                    tracing::info!(%tenant, path = %archive.path, written = archive.written, "configuration backup");
                    self.metrics
                        .count(if archive.written { "written" } else { "skipped" }, 1);
                }
                Err(error) => {
                    tracing::warn!(%tenant, %error, "configuration backup failed");
                    self.metrics.count("failed", 1);
                }
            }
            match self.prune(&tenant, now).await {
                Ok(pruned) => self.metrics.count("pruned", pruned.len() as u64),
                Err(error) => {
                    tracing::warn!(%tenant, %error, "pruning configuration backups failed");
                    self.metrics.count("failed", 1);
                }
            }
        }
    }

    /// Writes `tenant`'s archive as of `at`, unless one of that time is already there.
    pub async fn export(
        &self,
        tenant: &TenantId,
        at: DateTime<Utc>,
    ) -> Result<WrittenArchive, BackupWriteError> {
        let path = self.archive_path(tenant, at);
        let location = StorePath::from(path.as_str());
        match self.target.head(&location).await {
            Ok(_) => return Ok(WrittenArchive { path, written: false }),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(source) => return Err(self.store_error(source)),
        }
        let snapshot = self.snapshot(tenant, at).await?;
        let (bytes, _) = posture_backup::write_archive(&snapshot, Vec::new())?;
        self.target
            .put(&location, PutPayload::from(bytes))
            .await
            .map_err(|source| self.store_error(source))?;
        Ok(WrittenArchive { path, written: true })
    }

    /// Deletes `tenant`'s archives past retention at `now`; returns their paths.
    pub async fn prune(
        &self,
        tenant: &TenantId,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, BackupWriteError> {
        let mut archives = self.archives(tenant).await?;
        archives.sort_by_key(|archive| std::cmp::Reverse(archive.0));
        let mut pruned = Vec::new();
        for (index, (at, path)) in archives.into_iter().enumerate() {
            let too_many = self.settings.keep.is_some_and(|keep| index >= keep);
            let too_old = self.settings.retention.is_some_and(|days| at < now - days);
            if too_many || too_old {
                self.target
                    .delete(&StorePath::from(path.as_str()))
                    .await
                    .map_err(|source| self.store_error(source))?;
                pruned.push(path);
            }
        }
        Ok(pruned)
    }

    /// `tenant`'s archives with their times, in no particular order. Objects not named like an
    /// archive (an operator's notes, another tool's files) are left alone.
    pub async fn archives(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<(DateTime<Utc>, String)>, BackupWriteError> {
        let folder = StorePath::from(self.tenant_folder(tenant).as_str());
        let listed: Vec<_> = self
            .target
            .list(Some(&folder))
            .try_collect()
            .await
            .map_err(|source| self.store_error(source))?;
        let name_start = format!("{tenant}-");
        Ok(listed
            .into_iter()
            .filter_map(|meta| {
                let path = meta.location.to_string();
                let name = meta.location.filename()?;
                let time = name.strip_prefix(&name_start)?.strip_suffix(".tar.gz")?;
                let at = NaiveDateTime::parse_from_str(time, TIME_FORMAT).ok()?.and_utc();
                Some((at, path))
            })
            .collect())
    }

    fn tenant_folder(&self, tenant: &TenantId) -> String {
        if self.prefix.is_empty() {
            tenant.to_string()
        } else {
            format!("{}/{tenant}", self.prefix)
        }
    }

    fn archive_path(&self, tenant: &TenantId, at: DateTime<Utc>) -> String {
        format!(
            "{}/{tenant}-{}.tar.gz",
            self.tenant_folder(tenant),
            at.format(TIME_FORMAT)
        )
    }

    /// Every configuration kind's objects of `tenant` as of `at`, from the store.
    async fn snapshot(&self, tenant: &TenantId, at: DateTime<Utc>) -> Result<Snapshot, BackupWriteError> {
        let configuration: Vec<_> = kinds::ALL.iter().filter(|k| k.configuration).collect();
        let mut snapshot = Snapshot::new(
            tenant.to_string(),
            at,
            configuration.iter().map(|k| k.name.to_owned()),
        );
        for kind in configuration {
            let mut after: Option<String> = None;
            loop {
                let page = self
                    .store
                    .list_objects(&ObjectQuery {
                        tenant_id: *tenant,
                        kind: kind.name,
                        include_removed: false,
                        with_content: true,
                        after: after.as_deref(),
                        limit: PAGE,
                        as_of: Some(at),
                    })
                    .await?;
                let full = page.len() == PAGE as usize;
                after = page.last().map(|o| o.object_id.clone());
                for object in page {
                    let content = serde_json::from_str(&object.content).map_err(|source| {
                        BackupWriteError::Content {
                            kind: kind.name,
                            object_id: object.object_id.clone(),
                            source,
                        }
                    })?;
                    snapshot.insert(BackupObject {
                        entity_kind: kind.name.to_owned(),
                        object_id: object.object_id,
                        display_name: object.display_name,
                        version: u64::try_from(object.version).unwrap_or(0),
                        content_hash: object.content_hash,
                        observed_at: object.changed_at,
                        content,
                    });
                }
                if !full {
                    break;
                }
            }
        }
        Ok(snapshot)
    }

    fn store_error(&self, source: object_store::Error) -> BackupWriteError {
        BackupWriteError::ObjectStore {
            destination: self.settings.destination.clone(),
            source,
        }
    }
}

/// The object store and the prefix within it that `settings.destination` names.
fn open_destination(settings: &BackupSettings) -> Result<(Arc<dyn ObjectStore>, String), BackupWriteError> {
    let destination = settings.destination.as_str();
    if let Some(dir) = destination.strip_prefix("file://") {
        if !dir.starts_with('/') {
            return Err(BackupWriteError::Destination(format!(
                "{destination} is not file:///absolute/path"
            )));
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| BackupWriteError::Destination(format!("cannot create {dir}: {e}")))?;
        let local = LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| BackupWriteError::Destination(format!("cannot use {dir}: {e}")))?;
        return Ok((Arc::new(local), String::new()));
    }
    if let Some(rest) = destination.strip_prefix("s3://") {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(BackupWriteError::Destination(format!(
                "{destination} names no bucket"
            )));
        }
        let s3 = &settings.s3;
        // The bucket's HTTP client is reqwest over rustls, which needs the process's provider.
        posture_graph::install_crypto_provider();
        // The standard AWS_* variables first; each setting given in the configuration wins.
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        if !s3.endpoint.trim().is_empty() {
            let endpoint = s3.endpoint.trim();
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        let region = if s3.region.trim().is_empty() {
            std::env::var("AWS_REGION")
                .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|_| "us-east-1".to_owned())
        } else {
            s3.region.trim().to_owned()
        };
        builder = builder.with_region(region);
        if !s3.access_key_id.trim().is_empty() {
            builder = builder.with_access_key_id(s3.access_key_id.trim());
        }
        if let Some(secret) = &s3.secret_access_key {
            builder = builder.with_secret_access_key(secret.expose_secret());
        }
        // The builder's error names what is missing, never a credential's value.
        let store = builder
            .build()
            .map_err(|e| BackupWriteError::Destination(format!("{destination}: {e}")))?;
        return Ok((Arc::new(store), prefix.trim_matches('/').to_owned()));
    }
    Err(BackupWriteError::Destination(format!(
        "{destination} is neither file:///dir nor s3://bucket/prefix"
    )))
}
