//! The gateway role: Posture's one public gRPC endpoint. It authenticates every call with an API
//! key, authorizes it by role and tenant scope, forwards it to the role that owns the service,
//! answers the aggregated tenant overviews itself, administers API keys and keeps the activity
//! log of every mutating call. Internal services (vault, token broker) are never mounted here.

pub mod activity;
pub mod auth;
pub mod edge;
pub mod forward;
pub mod keys;
pub mod overview;

use std::sync::Arc;
use std::time::Duration;

use posture_kit::ServiceError;
use posture_kit::ServiceRole;
use posture_kit::clock::Clock;
use posture_kit::db::{Db, DbError};
use posture_kit::grpc::{GrpcError, GrpcServer};
use posture_proto::v1;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use activity::ActivitySettings;
pub use auth::{AccessRole, Principal, TenantScope};
pub use forward::{API_KEY_ID_HEADER, Upstreams};
pub use keys::{ApiKeyRecord, ApiKeyStore, IssuedApiKey, NewApiKey, bootstrap_admin_key, issue_key};

use activity::{ActivityApi, ActivityRecorder, ActivityStore};
use auth::{Gate, Guarded};
use forward::Forwarder;
use keys::ApiKeyApi;
use overview::OverviewApi;

/// The schema the gateway owns.
pub const SCHEMA: &str = keys::migrations::SCHEMA;

/// How long an overview waits for one backend before naming that part unavailable.
pub const DEFAULT_OVERVIEW_PART_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("gateway database: {0}")]
    Db(#[from] DbError),
    #[error(transparent)]
    Store(#[from] keys::StoreError),
    #[error("an active admin API key already exists; pass --force to create another")]
    AdminKeyExists,
    #[error("invalid address for the {role} role: {source}")]
    Upstream {
        role: ServiceRole,
        #[source]
        source: GrpcError,
    },
}

impl From<GatewayError> for ServiceError {
    fn from(error: GatewayError) -> Self {
        match error {
            GatewayError::Store(error) => error.into(),
            GatewayError::AdminKeyExists => ServiceError::FailedPrecondition {
                reason: error.to_string(),
            },
            other => ServiceError::internal("running the gateway", other),
        }
    }
}

/// What the gateway needs from the process that runs it.
pub struct GatewayDeps {
    /// Pool of the `gateway` schema.
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub shutdown: CancellationToken,
    pub tasks: TaskTracker,
    /// Where each backend role is reached.
    pub upstreams: Upstreams,
    /// Largest message the gateway accepts and relays (`grpc.max_message_bytes`).
    pub max_message_bytes: usize,
    /// See [`DEFAULT_OVERVIEW_PART_TIMEOUT`].
    pub overview_part_timeout: Duration,
    /// Retention of the activity log.
    pub activity: ActivitySettings,
}

/// A started gateway, ready to be mounted on the public server.
#[derive(Clone)]
pub struct GatewayRole {
    gate: Arc<Gate>,
    forwarder: Arc<Forwarder>,
    overview: OverviewApi,
    api_keys: ApiKeyApi,
    activity: ActivityApi,
    recorder: ActivityRecorder,
    store: ApiKeyStore,
}

/// Migrates the `gateway` schema, builds the services and starts pruning the activity log (on
/// `tasks`, until `shutdown`).
pub async fn start(deps: GatewayDeps) -> Result<GatewayRole, GatewayError> {
    deps.db.migrate(SCHEMA, keys::migrations::MIGRATIONS).await?;
    let store = ApiKeyStore::new(deps.db.clone());
    let activity_store = ActivityStore::new(deps.db);
    let recorder = ActivityRecorder::new(activity_store.clone());
    let gate = Arc::new(Gate::new(
        store.clone(),
        Arc::clone(&deps.clock),
        recorder.clone(),
    ));
    let forwarder = Arc::new(Forwarder::new(deps.upstreams, deps.max_message_bytes));
    let overview = OverviewApi::new(Arc::clone(&forwarder), deps.overview_part_timeout);
    let api_keys = ApiKeyApi::new(store.clone(), Arc::clone(&deps.clock));
    let activity = ActivityApi::new(
        activity_store.clone(),
        Arc::clone(&forwarder),
        Arc::clone(&deps.clock),
        deps.activity.retention,
    );
    activity::spawn_pruning(
        activity_store,
        deps.clock,
        deps.activity,
        deps.shutdown,
        &deps.tasks,
    );
    Ok(GatewayRole {
        gate,
        forwarder,
        overview,
        api_keys,
        activity,
        recorder,
        store,
    })
}

impl GatewayRole {
    /// The key store, e.g. for the CLI to list keys without going through the API.
    pub fn store(&self) -> &ApiKeyStore {
        &self.store
    }

    /// Writes the activity log; its `failed_writes` counts records that could not be written.
    pub fn activity_recorder(&self) -> &ActivityRecorder {
        &self.recorder
    }

    /// Mounts every public service behind the gate, with the server's message size limit, and
    /// registers the public descriptors (only) for reflection.
    pub fn register(&self, server: GrpcServer) -> GrpcServer {
        let limit = server.max_message_bytes();
        macro_rules! mount {
            ($server:expr, $generated:ident :: $type:ident, $implementation:expr) => {
                $server.add_service(Guarded::new(
                    v1::$generated::$type::from_arc($implementation)
                        .max_decoding_message_size(limit)
                        .max_encoding_message_size(limit),
                    Arc::clone(&self.gate),
                    limit,
                ))
            };
        }
        let forwarder = &self.forwarder;
        let server = mount!(
            server,
            tenant_connection_service_server::TenantConnectionServiceServer,
            Arc::clone(forwarder)
        );
        let server = mount!(
            server,
            sync_service_server::SyncServiceServer,
            Arc::clone(forwarder)
        );
        let server = mount!(
            server,
            inventory_service_server::InventoryServiceServer,
            Arc::clone(forwarder)
        );
        let server = mount!(
            server,
            audit_service_server::AuditServiceServer,
            Arc::clone(forwarder)
        );
        let server = mount!(
            server,
            schedule_service_server::ScheduleServiceServer,
            Arc::clone(forwarder)
        );
        let server = mount!(
            server,
            notification_service_server::NotificationServiceServer,
            Arc::clone(forwarder)
        );
        let server = mount!(
            server,
            assessment_service_server::AssessmentServiceServer,
            Arc::clone(forwarder)
        );
        let server = mount!(
            server,
            exception_service_server::ExceptionServiceServer,
            Arc::clone(forwarder)
        );
        let server = mount!(
            server,
            drift_service_server::DriftServiceServer,
            Arc::clone(forwarder)
        );
        let server = mount!(
            server,
            score_service_server::ScoreServiceServer,
            Arc::clone(forwarder)
        );
        let server = mount!(
            server,
            evidence_service_server::EvidenceServiceServer,
            Arc::clone(forwarder)
        );
        let server = mount!(
            server,
            overview_service_server::OverviewServiceServer,
            Arc::new(self.overview.clone())
        );
        let server = mount!(
            server,
            api_key_service_server::ApiKeyServiceServer,
            Arc::new(self.api_keys.clone())
        );
        let server = mount!(
            server,
            activity_service_server::ActivityServiceServer,
            Arc::new(self.activity.clone())
        );
        server.descriptor_set(posture_proto::PUBLIC_FILE_DESCRIPTOR_SET)
    }
}
