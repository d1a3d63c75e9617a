//! The entry point the binary calls: [`start`] migrates the schema and spawns key rotation and the
//! relay of connection events; [`CredentialsRole::register`] mounts the connection and vault
//! services on a gRPC server.

use std::sync::Arc;

use crate::metrics::{FleetMetrics, run_fleet_metrics};
use crate::store::StoreError;
use posture_bus::{Bus, Outbox};
use posture_kit::clock::SharedClock;
use posture_kit::db::Db;
use posture_kit::grpc::GrpcServer;
use posture_kit::telemetry::MetricsRegistry;
use posture_proto::internal::v1::signing_service_server::SigningServiceServer;
use posture_proto::internal::v1::vault_service_server::VaultServiceServer;
use posture_proto::internal::v1::webhook_secret_service_server::WebhookSecretServiceServer;
use posture_proto::v1::tenant_connection_service_server::TenantConnectionServiceServer;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tonic::transport::Channel;

use crate::api::{ConnectionApi, SigningApi, VaultApi, WebhookSecretApi};
use crate::core::{Core, CredentialsSettings};
use crate::error::CredentialsError;
use crate::keyring::Keyring;
use crate::rotation::run_rotation;
use crate::store::CredentialStore;

/// What the credentials role needs from the process.
pub struct CredentialsDeps {
    pub db: Db,
    pub bus: Arc<dyn Bus>,
    pub clock: SharedClock,
    pub shutdown: CancellationToken,
    pub tasks: TaskTracker,
    /// Key-encryption keys (see [`crate::keyring_from_config`]).
    pub keyring: Keyring,
    /// Channel to the token broker, for TestConnection; `None` answers UNAVAILABLE.
    pub token_broker: Option<Channel>,
    pub settings: CredentialsSettings,
}

/// The running role.
#[derive(Clone)]
pub struct CredentialsRole {
    core: Arc<Core>,
}

/// Migrates the `credentials` schema and spawns the key rotation task, the purge task and the outbox
/// relay that publishes connection events (all end on `shutdown`; the relay makes a last pass
/// first).
pub async fn start(deps: CredentialsDeps) -> Result<CredentialsRole, CredentialsError> {
    let store = CredentialStore::new(deps.db);
    store.migrate().await?;
    let outbox = Outbox::new(store.db().clone(), deps.bus);
    outbox.spawn(deps.shutdown.clone(), &deps.tasks);
    let keyring = Arc::new(deps.keyring);
    tracing::info!(active_key = %keyring.active_id(), keys = keyring.key_ids().count(), "credentials vault ready");
    deps.tasks.spawn(run_rotation(
        store.clone(),
        keyring.clone(),
        deps.settings.rewrap_batch_size,
        deps.settings.rewrap_interval,
        deps.shutdown.clone(),
    ));
    deps.tasks.spawn(crate::purge::run_purges(
        store.clone(),
        outbox.clone(),
        deps.clock.clone(),
        deps.settings.purge_check_interval,
        deps.shutdown.clone(),
    ));
    let core = Core {
        store,
        keyring,
        outbox,
        clock: deps.clock,
        settings: deps.settings,
        token_broker: deps.token_broker,
    };
    Ok(CredentialsRole { core: Arc::new(core) })
}

impl CredentialsRole {
    /// Mounts `posture.v1.TenantConnectionService`, `posture.internal.v1.VaultService`,
    /// `posture.internal.v1.SigningService` and `posture.internal.v1.WebhookSecretService`.
    pub fn register(&self, server: GrpcServer) -> GrpcServer {
        let limit = server.max_message_bytes();
        let connections = TenantConnectionServiceServer::new(self.connection_api())
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        let vault = VaultServiceServer::new(self.vault_api())
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        let signing = SigningServiceServer::new(self.signing_api())
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        let webhook_secrets = WebhookSecretServiceServer::new(WebhookSecretApi {
            core: self.core.clone(),
        })
        .max_decoding_message_size(limit)
        .max_encoding_message_size(limit);
        server
            .add_service(connections)
            .add_service(vault)
            .add_service(signing)
            .add_service(webhook_secrets)
    }

    pub fn signing_api(&self) -> SigningApi {
        SigningApi {
            core: self.core.clone(),
        }
    }

    pub fn connection_api(&self) -> ConnectionApi {
        ConnectionApi {
            core: self.core.clone(),
        }
    }

    pub fn vault_api(&self) -> VaultApi {
        VaultApi {
            core: self.core.clone(),
        }
    }

    pub fn store(&self) -> &CredentialStore {
        &self.core.store
    }

    /// Keeps the fleet gauges in `registry` (connections per health state, days to credential
    /// expiry) current, refreshing every `interval` until `shutdown`.
    pub fn record_fleet_metrics(
        &self,
        registry: &MetricsRegistry,
        interval: std::time::Duration,
        shutdown: CancellationToken,
        tasks: &TaskTracker,
    ) -> FleetMetrics {
        let metrics = FleetMetrics::register(registry);
        tasks.spawn(run_fleet_metrics(
            metrics.clone(),
            self.core.store.clone(),
            self.core.clock.clone(),
            interval,
            shutdown,
        ));
        metrics
    }

    /// Refreshes `metrics` from the store now (what the interval does), at the role's clock.
    pub async fn refresh_fleet_metrics(&self, metrics: &FleetMetrics) -> Result<(), StoreError> {
        metrics.refresh(&self.core.store, self.core.clock.now()).await
    }
}
