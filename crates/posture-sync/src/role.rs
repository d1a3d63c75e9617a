//! The entry point the binary calls: [`start`] migrates the `sync` schema, starts the outbox
//! relay, resumes unfinished runs, and starts one durable consumer per entity kind plus the
//! SyncRequested consumer; [`SyncRole::register`] mounts SyncService and InventoryService on a
//! gRPC server.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::metrics::SyncMetrics;
use posture_bus::outbox::Outbox;
use posture_bus::{Bus, ConsumerConfig, RetryPolicy as BusRetry, spawn_workers, topics};
use posture_graph::mail_dns::DnsSettings;
use posture_graph::{InProcessBudget, RequestBudget, RetryPolicy as GraphRetry};
use posture_kit::clock::SharedClock;
use posture_kit::db::Db;
use posture_kit::grpc::GrpcServer;
use posture_kit::telemetry::MetricsRegistry;
use posture_proto::v1::audit_service_server::AuditServiceServer;
use posture_proto::v1::inventory_service_server::InventoryServiceServer;
use posture_proto::v1::sync_service_server::SyncServiceServer;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tonic::transport::Channel;

use crate::api::{AuditApi, InventoryApi, SyncApi};
use crate::audit::{AuditAfterRun, AuditIngest, AuditSettings};
use crate::backup::{BackupSettings, BackupWriter};
use crate::connection::TenantDirectory;
use crate::error::SyncError;
use crate::job::{JobSettings, SyncWorker};
use crate::kinds;
use crate::requested::SyncRequestedHandler;
use crate::runs::Runs;
use crate::store::InventoryStore;

/// Tunables of the role.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    /// Objects per store statement (`sync.batch_size`).
    pub batch_size: usize,
    /// Workers per entity kind consumer (`sync.concurrency`).
    pub concurrency: usize,
    /// Pages fetched ahead of the writer.
    pub page_buffer: usize,
    /// Ack wait of job deliveries; each stored page restarts it.
    pub ack_wait: Duration,
    /// Deliveries of a job before its entity fails for good.
    pub max_deliver: u32,
    /// NAK backoff of transient failures.
    pub bus_retry: BusRetry,
    /// Retries of one Microsoft request (throttling, 5xx) before the job is NAKed.
    pub graph_retry: GraphRetry,
    /// Re-enqueue the jobs of runs left active by a previous process (standalone's in-process
    /// bus loses its queue on restart; on NATS the queue survives and duplicates are dropped).
    pub resume_active_runs: bool,
    /// Retention and reading interval of audit streams.
    pub audit: AuditSettings,
    /// Scheduled configuration backups (`backup.*`); `None`: none.
    pub backup: Option<BackupSettings>,
    /// Where the mail records of accepted domains are resolved (`sync.dns_server`).
    pub dns: DnsSettings,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            batch_size: 500,
            concurrency: 4,
            page_buffer: 2,
            ack_wait: Duration::from_secs(60),
            max_deliver: 5,
            bus_retry: BusRetry::default(),
            graph_retry: GraphRetry::default(),
            resume_active_runs: true,
            audit: AuditSettings::default(),
            backup: None,
            dns: DnsSettings::default(),
        }
    }
}

impl SyncSettings {
    /// The configured batch size, concurrency, ack wait and audit streams, the rest at defaults.
    pub fn from_config(config: &posture_kit::config::SyncConfig) -> Self {
        Self {
            batch_size: config.batch_size.clamp(1, 10_000) as usize,
            concurrency: config.concurrency.clamp(1, 256) as usize,
            ack_wait: Duration::from_secs(u64::from(config.ack_wait_secs.clamp(5, 3600))),
            audit: AuditSettings {
                retention: chrono::Duration::days(i64::from(config.audit_retention_days.clamp(1, 3650))),
                interval: Duration::from_secs(u64::from(config.audit_interval_secs.clamp(1, 86_400))),
                after_runs: config.audit_after_sync,
            },
            dns: DnsSettings {
                server: config.dns_server,
                timeout: Duration::from_secs(u64::from(config.dns_timeout_secs.clamp(1, 60))),
                ..DnsSettings::default()
            },
            ..Self::default()
        }
    }
}

/// What the sync role needs from the process.
pub struct SyncDeps {
    pub db: Db,
    pub bus: Arc<dyn Bus>,
    pub clock: SharedClock,
    pub shutdown: CancellationToken,
    pub tasks: TaskTracker,
    /// Channel to the credentials role (TenantConnectionService).
    pub credentials: Channel,
    /// Channel to the tokens role (TokenBrokerService).
    pub tokens: Channel,
    /// The process's registry; the role adds its `posture_sync_*` metrics.
    pub metrics: MetricsRegistry,
    pub settings: SyncSettings,
}

/// The running role.
#[derive(Clone)]
pub struct SyncRole {
    sync: SyncApi,
    inventory: InventoryApi,
    audit: AuditApi,
    ingest: AuditIngest,
    rows_written: Arc<AtomicU64>,
}

/// Migrates the schema, resumes unfinished runs and starts the consumers (they end on `shutdown`).
pub async fn start(deps: SyncDeps) -> Result<SyncRole, SyncError> {
    let outbox = Outbox::new(deps.db.clone(), deps.bus.clone());
    let store = InventoryStore::new(deps.db);
    store.migrate().await?;
    // Staged jobs and announcements go out as their transactions commit, and whatever a previous
    // process staged but did not publish goes out now.
    outbox.spawn(deps.shutdown.clone(), &deps.tasks);
    let http = posture_graph::http_client().map_err(|e| SyncError::Config(e.to_string()))?;
    let budget: Arc<dyn RequestBudget> = Arc::new(InProcessBudget::new());
    let metrics = SyncMetrics::register(&deps.metrics);
    let directory = TenantDirectory::new(
        deps.credentials,
        deps.tokens,
        http,
        budget,
        deps.settings.graph_retry.clone(),
    )
    .with_metrics(metrics.graph.clone());
    let audit = AuditIngest {
        store: store.clone(),
        directory: directory.clone(),
        clock: deps.clock.clone(),
        settings: deps.settings.audit.clone(),
    };
    audit.clone().spawn(deps.shutdown.clone(), &deps.tasks);
    if let Some(settings) = deps.settings.backup.clone() {
        // A destination that cannot be used stops the role at start, not silently at night.
        BackupWriter::new(store.clone(), settings, &deps.metrics)
            .map_err(|e| SyncError::Config(e.to_string()))?
            .spawn(deps.shutdown.clone(), &deps.tasks);
    }
    let runs = Runs {
        store: store.clone(),
        bus: deps.bus.clone(),
        outbox,
        clock: deps.clock,
    };
    let rows_written = Arc::new(AtomicU64::new(0));
    let worker = Arc::new(SyncWorker {
        runs: runs.clone(),
        directory: directory.clone(),
        settings: JobSettings {
            batch_size: deps.settings.batch_size,
            page_buffer: deps.settings.page_buffer,
            heartbeat: deps.settings.ack_wait / 3,
            dns: deps.settings.dns.clone(),
        },
        rows_written: rows_written.clone(),
        metrics,
    });
    for kind in kinds::ALL {
        let config = ConsumerConfig::new(
            topics::sync_jobs::consumer(kind.name),
            topics::sync_jobs::filter(kind.name)?,
        )?
        .with_ack_wait(deps.settings.ack_wait)
        .with_max_deliver(deps.settings.max_deliver);
        spawn_workers(
            deps.bus.as_ref(),
            config,
            deps.settings.concurrency,
            worker.clone(),
            deps.settings.bus_retry.clone(),
            &deps.shutdown,
            &deps.tasks,
        )
        .await?;
    }
    spawn_workers(
        deps.bus.as_ref(),
        ConsumerConfig::new(topics::durable::SYNC_REQUESTS, topics::SYNC_REQUESTED.filter())?,
        1,
        Arc::new(SyncRequestedHandler { runs: runs.clone() }),
        deps.settings.bus_retry.clone(),
        &deps.shutdown,
        &deps.tasks,
    )
    .await?;
    if deps.settings.audit.after_runs {
        spawn_workers(
            deps.bus.as_ref(),
            ConsumerConfig::new(topics::durable::SYNC_AUDIT_RUNS, topics::RUN_COMPLETED.filter())?
                .with_ack_wait(deps.settings.ack_wait),
            // One tenant's first read lists 7 days of feed content; others are not held behind it.
            deps.settings.concurrency,
            Arc::new(AuditAfterRun {
                ingest: audit.clone(),
                heartbeat: deps.settings.ack_wait / 3,
            }),
            deps.settings.bus_retry.clone(),
            &deps.shutdown,
            &deps.tasks,
        )
        .await?;
    }
    posture_bus::spawn_tenant_purge(
        deps.bus.as_ref(),
        "sync",
        topics::durable::SYNC_PURGES,
        store.db().clone(),
        crate::store::PURGE_TENANT,
        &deps.shutdown,
        &deps.tasks,
    )
    .await?;
    if deps.settings.resume_active_runs {
        for run in store.active_runs().await? {
            tracing::info!(run = %run.run_id, tenant = %run.tenant_id, "resuming an unfinished sync run");
            runs.enqueue(&run).await?;
        }
    }
    Ok(SyncRole {
        sync: SyncApi {
            runs,
            directory,
            shutdown: deps.shutdown,
        },
        inventory: InventoryApi { store: store.clone() },
        audit: AuditApi { store },
        ingest: audit,
        rows_written,
    })
}

impl SyncRole {
    /// Mounts `posture.v1.SyncService`, `posture.v1.InventoryService` and `posture.v1.AuditService`.
    pub fn register(&self, server: GrpcServer) -> GrpcServer {
        let limit = server.max_message_bytes();
        let sync = SyncServiceServer::new(self.sync.clone())
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        let inventory = InventoryServiceServer::new(self.inventory.clone())
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        let audit = AuditServiceServer::new(self.audit.clone())
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        server.add_service(sync).add_service(inventory).add_service(audit)
    }

    /// The role's audit stream reader (tests read a stream at a chosen moment with it).
    pub fn audit(&self) -> &AuditIngest {
        &self.ingest
    }

    pub fn store(&self) -> &InventoryStore {
        &self.inventory.store
    }

    /// Inventory rows (objects and versions) this process has written since it started.
    pub fn rows_written(&self) -> u64 {
        self.rows_written.load(Ordering::Relaxed)
    }
}
