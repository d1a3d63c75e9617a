//! The world an end-to-end test runs in, composed as the binary does in standalone: the
//! simulator (real HTTP), the credentials and tokens roles on one loopback gRPC server, and the
//! sync role on its own server (so a test can stop it alone), sharing one database and one bus.

use std::sync::Arc;
use std::time::Duration;

use posture_bus::{Bus, MemoryBus, NatsBus, NatsBusConfig, Prefix, StreamSettings};
use posture_credentials::{CredentialsDeps, CredentialsSettings, KeyId, KeyMaterial, Keyring};
use posture_graph_sim::{FaultRule, FaultSpec, Latency, SimConfig, Simulator, TenantInfo, TenantSpec};
use posture_kit::clock::SystemClock;
use posture_kit::config::GrpcConfig;
use posture_kit::db::test_support::TestDatabase;
use posture_kit::grpc::{GrpcServer, lazy_channel};
use posture_kit::ids::TenantId;
use posture_proto::v1 as pb;
use posture_proto::v1::inventory_service_client::InventoryServiceClient;
use posture_proto::v1::sync_service_client::SyncServiceClient;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
pub use posture_sync::{SyncDeps, SyncRole, SyncSettings};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tonic::transport::Channel;

pub struct World {
    pub sim: Simulator,
    pub db: TestDatabase,
    pub bus: Arc<dyn Bus>,
    /// Where credentials and tokens are served.
    pub roles: Channel,
    pub shutdown: CancellationToken,
}

/// One running sync role with its own server and shutdown.
pub struct SyncProcess {
    pub role: SyncRole,
    pub channel: Channel,
    pub shutdown: CancellationToken,
    pub tasks: TaskTracker,
}

impl SyncProcess {
    pub fn sync(&self) -> SyncServiceClient<Channel> {
        SyncServiceClient::new(self.channel.clone())
    }

    pub fn inventory(&self) -> InventoryServiceClient<Channel> {
        InventoryServiceClient::new(self.channel.clone())
    }

    /// One stored object (removed ones too) through GetObject.
    pub async fn object(&self, tenant: &str, kind: &str, id: &str) -> pb::InventoryObject {
        self.inventory()
            .get_object(pb::GetObjectRequest {
                tenant_id: tenant.to_owned(),
                entity_kind: kind.to_owned(),
                object_id: id.to_owned(),
            })
            .await
            .expect("the object is readable")
            .into_inner()
            .object
            .expect("object")
    }

    /// Stops the role's consumers and waits for them; the in-flight job is cut off.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub fn memory_bus() -> Arc<dyn Bus> {
    Arc::new(MemoryBus::new(test_prefix(), StreamSettings::default()))
}

fn test_prefix() -> Prefix {
    Prefix::new(format!("t{}", uuid::Uuid::new_v4().simple())).expect("valid prefix")
}

/// The local NATS JetStream (`POSTURE_TEST_NATS_URL`, default 127.0.0.1:4222) under a prefix of
/// the test's own.
pub async fn nats_bus() -> Arc<dyn Bus> {
    let url = std::env::var("POSTURE_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned());
    Arc::new(
        NatsBus::connect(NatsBusConfig {
            prefix: test_prefix(),
            ..NatsBusConfig::new(url)
        })
        .await
        .expect("NATS with JetStream must be reachable"),
    )
}

async fn serve(server: GrpcServer, shutdown: CancellationToken) -> Channel {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        let _ = server.serve(listener, shutdown).await;
    });
    lazy_channel(&format!("http://{addr}"), &GrpcConfig::default()).expect("channel")
}

/// Every users page (users and sign-in activity) answered `ms` late, so a run stays active long
/// enough to watch, cancel or cut off.
pub fn slow_users(ms: u64) -> FaultSpec {
    FaultSpec {
        seed: 1,
        rules: vec![FaultRule {
            path: "/v1.0/users*".into(),
            latency: Some(Latency::Fixed { ms }),
            ..FaultRule::default()
        }],
    }
}

/// Test settings: quick retries so fault tests finish in seconds.
pub fn settings() -> SyncSettings {
    let mut settings = SyncSettings {
        concurrency: 2,
        ack_wait: Duration::from_secs(10),
        ..SyncSettings::default()
    };
    settings.bus_retry.initial_backoff = Duration::from_millis(100);
    settings.bus_retry.max_backoff = Duration::from_millis(500);
    settings.bus_retry.shutdown_grace = Duration::from_millis(50);
    settings
}

impl World {
    pub async fn new(db: TestDatabase) -> World {
        Self::with_bus(db, memory_bus()).await
    }

    pub async fn with_bus(db: TestDatabase, bus: Arc<dyn Bus>) -> World {
        posture_graph::install_crypto_provider();
        let sim = Simulator::start(SimConfig::default())
            .await
            .expect("simulator starts");
        let shutdown = CancellationToken::new();
        // Bind first so the roles' channels can point at the server before it serves.
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let config = GrpcConfig::default();
        let roles = lazy_channel(&format!("http://{addr}"), &config).expect("channel");
        let key = KeyId::new("k1").expect("key id");
        let keyring = Keyring::new([(key.clone(), KeyMaterial::generate())], key).expect("keyring");
        let credentials = posture_credentials::start(CredentialsDeps {
            db: db.connect("credentials").await.expect("credentials db"),
            bus: bus.clone(),
            clock: Arc::new(SystemClock),
            shutdown: shutdown.clone(),
            tasks: TaskTracker::new(),
            keyring,
            token_broker: Some(roles.clone()),
            settings: CredentialsSettings::default(),
        })
        .await
        .expect("credentials role starts");
        let tokens = posture_tokens::start(posture_tokens::TokensDeps {
            bus: bus.clone(),
            clock: Arc::new(SystemClock),
            shutdown: shutdown.clone(),
            tasks: TaskTracker::new(),
            vault: roles.clone(),
            coordinator: Arc::new(posture_tokens::InProcessCoordinator::new(Duration::from_secs(30))),
            settings: posture_tokens::BrokerSettings::default(),
        })
        .await
        .expect("tokens role starts");
        let server = tokens.register(credentials.register(GrpcServer::new(&config)));
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let _ = server.serve(listener, stop).await;
        });
        World {
            sim,
            db,
            bus,
            roles,
            shutdown,
        }
    }

    /// Starts a sync role (a "process") on the shared database and bus.
    pub async fn start_sync(&self, settings: SyncSettings) -> SyncProcess {
        let shutdown = self.shutdown.child_token();
        let tasks = TaskTracker::new();
        let role = posture_sync::start(SyncDeps {
            db: self.db.connect("sync").await.expect("sync db"),
            bus: self.bus.clone(),
            clock: Arc::new(SystemClock),
            shutdown: shutdown.clone(),
            tasks: tasks.clone(),
            credentials: self.roles.clone(),
            tokens: self.roles.clone(),
            settings,
        })
        .await
        .expect("sync role starts");
        let channel = serve(
            role.register(GrpcServer::new(&GrpcConfig::default())),
            shutdown.clone(),
        )
        .await;
        SyncProcess {
            role,
            channel,
            shutdown,
            tasks,
        }
    }

    /// A connected tenant of `users` whose users pages each take `ms`.
    pub async fn slow_tenant(&self, users: u32, ms: u64) -> TenantInfo {
        self.tenant(TenantSpec {
            users,
            faults: Some(slow_users(ms)),
            ..TenantSpec::default()
        })
        .await
    }

    /// A simulator tenant connected through the credentials role.
    pub async fn tenant(&self, spec: TenantSpec) -> TenantInfo {
        let info = self.sim.create_tenant(spec).expect("tenant is created");
        let base = self.sim.base_url();
        let at = |p: &str| format!("{}{p}", base.as_str());
        TenantConnectionServiceClient::new(self.roles.clone())
            .create_connection(pb::CreateConnectionRequest {
                tenant_id: info.tenant_id.to_string(),
                display_name: info.display_name.clone(),
                client_id: info.client_id.to_string(),
                cloud: pb::Cloud::Custom as i32,
                endpoints: Some(pb::CloudEndpoints {
                    authority_url: at("login"),
                    graph_url: at("graph"),
                    defender_url: at("mde"),
                    management_activity_url: at("manage"),
                }),
                credential: Some(pb::Credential {
                    kind: Some(pb::credential::Kind::ClientSecret(pb::ClientSecretCredential {
                        secret_value: info.client_secret.expose().to_owned(),
                        expires_at: Some(prost_types::Timestamp {
                            seconds: info.secret_expires_at.timestamp(),
                            nanos: 0,
                        }),
                    })),
                }),
            })
            .await
            .expect("connection is created");
        info
    }
}

/// The common start of a test: a world on SQLite, one connected tenant, one sync process.
pub async fn sqlite_world(spec: TenantSpec) -> (World, TenantInfo, SyncProcess) {
    let world = World::new(TestDatabase::sqlite().expect("sqlite")).await;
    let tenant = world.tenant(spec).await;
    let process = world.start_sync(settings()).await;
    (world, tenant, process)
}

/// Starts a run of `kinds` (every kind when empty) and returns it as started.
pub async fn start_run(process: &SyncProcess, tenant: &TenantInfo, kinds: &[&str]) -> pb::SyncRun {
    process
        .sync()
        .start_sync(pb::StartSyncRequest {
            tenant_id: tenant.tenant_id.to_string(),
            entity_kinds: kinds.iter().map(|k| (*k).to_owned()).collect(),
        })
        .await
        .expect("run starts")
        .into_inner()
        .run
        .expect("run")
}

/// Starts a run and waits until it is terminal.
pub async fn sync_and_wait(process: &SyncProcess, tenant: &TenantInfo, kinds: &[&str]) -> pb::SyncRun {
    let run = start_run(process, tenant, kinds).await;
    wait_for_run(process, tenant, &run.run_id).await
}

pub async fn wait_for_run(process: &SyncProcess, tenant: &TenantInfo, run_id: &str) -> pb::SyncRun {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let run = process
            .sync()
            .get_sync_run(pb::GetSyncRunRequest {
                tenant_id: tenant.tenant_id.to_string(),
                run_id: run_id.to_owned(),
            })
            .await
            .expect("run is readable")
            .into_inner()
            .run
            .expect("run");
        let active =
            run.state == pb::SyncRunState::Pending as i32 || run.state == pb::SyncRunState::Running as i32;
        if !active {
            return run;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "run {run_id} did not finish: {run:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The simulator tenant's id as the service types it.
pub fn tenant_id(tenant: &TenantInfo) -> TenantId {
    TenantId::from_uuid(tenant.tenant_id).expect("a simulator tenant has a GUID")
}

pub fn entity<'a>(run: &'a pb::SyncRun, kind: &str) -> &'a pb::EntitySync {
    run.entities
        .iter()
        .find(|e| e.entity_kind == kind)
        .unwrap_or_else(|| panic!("run has no entity {kind}"))
}
