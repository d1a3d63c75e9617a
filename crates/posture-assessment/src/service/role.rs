//! The entry point the binary calls: [`start`] migrates the `assessment` schema and starts the
//! SyncRunCompleted consumers (assessment, and drift detection); [`AssessmentRole::register`]
//! mounts AssessmentService, ExceptionService, ScoreService, DriftService and EvidenceService on a
//! gRPC server.

use std::sync::Arc;
use std::time::Duration;

use posture_bus::outbox::Outbox;
use posture_bus::{Bus, ConsumerConfig, RetryPolicy, spawn_workers, topics};
use posture_kit::clock::SharedClock;
use posture_kit::db::Db;
use posture_kit::grpc::GrpcServer;
use posture_proto::v1::assessment_service_server::AssessmentServiceServer;
use posture_proto::v1::drift_service_server::DriftServiceServer;
use posture_proto::v1::evidence_service_server::EvidenceServiceServer;
use posture_proto::v1::exception_service_server::ExceptionServiceServer;
use posture_proto::v1::score_service_server::ScoreServiceServer;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tonic::transport::Channel;

use super::api::{AssessmentApi, DriftApi, ExceptionApi, ScoreApi};
use super::assess::Assessor;
use super::connection::ConnectionReader;
use super::consumer::RunCompletedHandler;
use super::drift::{DriftDetector, DriftRunHandler};
use super::evidence::EvidenceApi;
use super::reader::InventoryReader;
use super::store::AssessmentStore;
use crate::pack::PolicyPack;

/// Tunables of the role.
#[derive(Debug, Clone)]
pub struct RoleSettings {
    /// Run-completed deliveries handled at once per process.
    pub concurrency: usize,
    /// Ack wait of a delivery. Progress acks every third of it keep a long assessment's
    /// delivery; when the process dies, its delivery (and the RUNNING assessment, which the
    /// redelivery takes over) goes to another consumer after this long.
    pub ack_wait: Duration,
    /// Deliveries of one SyncRunCompleted before the assessment is stored as FAILED. With the
    /// default backoff, 12 deliveries span about 20 minutes: longer than `stale_after`, so a run
    /// waiting behind an abandoned assessment is still assessed.
    pub max_deliver: u32,
    /// NAK backoff while the sync role or the database is unavailable.
    pub bus_retry: RetryPolicy,
    /// An active assessment without progress for this long is abandoned as FAILED.
    pub stale_after: Duration,
    /// Largest gRPC message read from the sync role (a page of 1000 objects).
    pub max_message_bytes: usize,
    /// Custom pack folders judged with the built-in pack (`assessment.extra_packs`).
    pub extra_packs: Vec<std::path::PathBuf>,
}

impl Default for RoleSettings {
    fn default() -> Self {
        Self {
            concurrency: 2,
            ack_wait: Duration::from_secs(30),
            max_deliver: 12,
            bus_retry: RetryPolicy::default(),
            stale_after: Duration::from_secs(15 * 60),
            max_message_bytes: 64 * 1024 * 1024,
            extra_packs: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot migrate the assessment schema: {0}")]
    Migrate(#[from] posture_kit::db::DbError),
    #[error("cannot start the run-completed consumer: {0}")]
    Bus(#[from] posture_bus::BusError),
    #[error("the policy pack has modules that do not load: {0}")]
    Pack(String),
}

/// What the assessment role needs from the process.
pub struct AssessmentDeps {
    pub db: Db,
    pub bus: Arc<dyn Bus>,
    pub clock: SharedClock,
    pub shutdown: CancellationToken,
    pub tasks: TaskTracker,
    /// Channel to the sync role (SyncService and InventoryService; config `endpoints.sync`).
    pub sync: Channel,
    /// Channel to the credentials role (TenantConnectionService.GetConnection, metadata only, and
    /// SigningService for evidence bundles; config `endpoints.credentials`).
    pub credentials: Channel,
    /// Where the role's metrics are registered (the process's `/metrics`).
    pub metrics: posture_kit::telemetry::MetricsRegistry,
    pub settings: RoleSettings,
}

/// The running role.
#[derive(Clone)]
pub struct AssessmentRole {
    assessments: AssessmentApi,
    exceptions: ExceptionApi,
    scores: ScoreApi,
    drift: DriftApi,
    evidence: EvidenceApi,
}

/// Migrates the schema and starts the consumer (it ends on `shutdown`).
pub async fn start(deps: AssessmentDeps) -> Result<AssessmentRole, StartError> {
    let store = AssessmentStore::new(deps.db.clone());
    store.migrate().await?;
    let outbox = Outbox::new(deps.db, deps.bus.clone());
    outbox.spawn(deps.shutdown.clone(), &deps.tasks);
    let pack =
        PolicyPack::builtin_with(&deps.settings.extra_packs).map_err(|e| StartError::Pack(e.to_string()))?;
    let broken = pack.broken_modules();
    if !broken.is_empty() {
        let list: Vec<String> = broken.iter().map(|(p, e)| format!("{p}: {e}")).collect();
        return Err(StartError::Pack(list.join("; ")));
    }
    let assessor = Assessor {
        store: store.clone(),
        reader: InventoryReader::new(deps.sync.clone(), deps.settings.max_message_bytes),
        connections: ConnectionReader::new(deps.credentials.clone()),
        bus: deps.bus.clone(),
        outbox,
        clock: deps.clock.clone(),
        pack_version: Arc::from(pack.version()),
        pack: Arc::new(pack),
        stale_after: deps.settings.stale_after,
        metrics: super::metrics::AssessmentMetrics::register(&deps.metrics),
    };
    let config = ConsumerConfig::new(topics::durable::ASSESSMENT_RUNS, topics::RUN_COMPLETED.filter())?
        .with_ack_wait(deps.settings.ack_wait)
        .with_max_deliver(deps.settings.max_deliver);
    spawn_workers(
        deps.bus.as_ref(),
        config,
        deps.settings.concurrency,
        Arc::new(RunCompletedHandler {
            assessor: assessor.clone(),
            heartbeat: deps.settings.ack_wait / 3,
        }),
        deps.settings.bus_retry.clone(),
        &deps.shutdown,
        &deps.tasks,
    )
    .await?;
    let detector = DriftDetector {
        store: store.clone(),
        reader: assessor.reader.clone(),
        clock: deps.clock.clone(),
    };
    let drift_config = ConsumerConfig::new(topics::durable::DRIFT_RUNS, topics::RUN_COMPLETED.filter())?
        .with_ack_wait(deps.settings.ack_wait)
        .with_max_deliver(deps.settings.max_deliver);
    spawn_workers(
        deps.bus.as_ref(),
        drift_config,
        deps.settings.concurrency,
        Arc::new(DriftRunHandler {
            detector: detector.clone(),
            heartbeat: deps.settings.ack_wait / 3,
        }),
        deps.settings.bus_retry.clone(),
        &deps.shutdown,
        &deps.tasks,
    )
    .await?;
    posture_bus::spawn_tenant_purge(
        deps.bus.as_ref(),
        "assessment",
        topics::durable::ASSESSMENT_PURGES,
        store.db().clone(),
        super::store::PURGE_TENANT,
        &deps.shutdown,
        &deps.tasks,
    )
    .await?;
    let drift = DriftApi {
        detector,
        clock: deps.clock.clone(),
    };
    let exceptions = ExceptionApi {
        store: store.clone(),
        pack: assessor.pack.clone(),
        clock: deps.clock.clone(),
    };
    let reader = assessor.reader.clone();
    let assessments = AssessmentApi {
        assessor,
        tasks: deps.tasks,
    };
    Ok(AssessmentRole {
        evidence: EvidenceApi {
            assessments: assessments.clone(),
            exceptions: exceptions.clone(),
            drift: drift.clone(),
            reader,
            credentials: deps.credentials,
            clock: deps.clock,
        },
        drift,
        scores: ScoreApi {
            store,
            sync: deps.sync,
            max_message_bytes: deps.settings.max_message_bytes,
        },
        exceptions,
        assessments,
    })
}

impl AssessmentRole {
    /// Mounts `posture.v1.AssessmentService`, `posture.v1.ExceptionService`,
    /// `posture.v1.ScoreService`, `posture.v1.DriftService` and `posture.v1.EvidenceService`.
    pub fn register(&self, server: GrpcServer) -> GrpcServer {
        let limit = server.max_message_bytes();
        let assessments = AssessmentServiceServer::new(self.assessments.clone())
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        let exceptions = ExceptionServiceServer::new(self.exceptions.clone())
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        let scores = ScoreServiceServer::new(self.scores.clone())
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        let drift = DriftServiceServer::new(self.drift.clone())
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        let evidence = EvidenceServiceServer::new(self.evidence.clone())
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        server
            .add_service(assessments)
            .add_service(drift)
            .add_service(evidence)
            .add_service(exceptions)
            .add_service(scores)
    }

    pub fn store(&self) -> &AssessmentStore {
        &self.assessments.assessor.store
    }
}
