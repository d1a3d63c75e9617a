//! [`World`]: the simulator and the roles on one loopback gRPC server, sharing one database and one
//! bus, built by [`WorldBuilder`]. Credentials and tokens always run; sync and assessment join
//! when asked. A test can also start sync "processes" of their own ([`World::start_sync`]) to stop
//! or kill one alone.

use std::sync::Arc;
use std::time::Duration;

use posture_assessment::service::{AssessmentDeps, AssessmentRole, RoleSettings};
use posture_bus::Bus;
use posture_credentials::{CredentialsDeps, CredentialsSettings, KeyId, KeyMaterial, Keyring};
use posture_graph_sim::{SimConfig, Simulator, TenantInfo, TenantSpec};
use posture_kit::ServiceRole;
use posture_kit::clock::{SharedClock, SystemClock};
use posture_kit::config::GrpcConfig;
use posture_kit::db::test_support::TestDatabase;
use posture_kit::grpc::{GrpcServer, internal_channel};
use posture_kit::telemetry::MetricsRegistry;
use posture_kit::tls::{CertificateAuthority, InternalTls, PemFiles, write_private, write_public};
use posture_proto::v1 as pb;
use posture_proto::v1::inventory_service_client::InventoryServiceClient;
use posture_proto::v1::sync_service_client::SyncServiceClient;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use posture_sync::{SyncDeps, SyncRole, SyncSettings};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tonic::transport::Channel;

use crate::bus::memory_bus;
use crate::connection::connection_request;

/// Generous bound for anything a test waits on; reaching it is a failure, not a measurement.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// What to start besides credentials and tokens.
#[derive(Default)]
pub struct WorldBuilder {
    bus: Option<Arc<dyn Bus>>,
    sim: SimConfig,
    sync: Option<SyncSettings>,
    assessment: Option<(RoleSettings, SharedClock)>,
}

/// A running world; dropping it stops every role.
pub struct World {
    pub sim: Simulator,
    pub db: TestDatabase,
    pub bus: Arc<dyn Bus>,
    /// The loopback server every built-in role is mounted on.
    pub channel: Channel,
    /// That server's address, e.g. `http://127.0.0.1:41234`.
    pub endpoint: String,
    /// The world's identity among the roles (every role, from a throwaway CA, as in standalone).
    pub tls: InternalTls,
    /// The CA the world's servers trust; [`World::identity_files`] issues more from it.
    pub authority: Arc<CertificateAuthority>,
    /// The sync role on the shared server, when the builder asked for it.
    pub sync: Option<SyncRole>,
    /// The assessment role on the shared server, when the builder asked for it.
    pub assessment: Option<AssessmentRole>,
    pub shutdown: CancellationToken,
    /// The registry the world's roles and server record into, as a process's `/metrics` serves it.
    pub metrics: MetricsRegistry,
}

/// A sync role with a server and a shutdown of its own: a "process" a test can stop alone.
pub struct SyncProcess {
    pub role: SyncRole,
    pub channel: Channel,
    pub shutdown: CancellationToken,
    pub tasks: TaskTracker,
}

impl WorldBuilder {
    /// The bus to run on (default: a fresh in-process bus).
    pub fn bus(mut self, bus: Arc<dyn Bus>) -> Self {
        self.bus = Some(bus);
        self
    }

    pub fn simulator(mut self, config: SimConfig) -> Self {
        self.sim = config;
        self
    }

    /// Mounts the sync role on the shared server.
    pub fn with_sync(mut self, settings: SyncSettings) -> Self {
        self.sync = Some(settings);
        self
    }

    /// Mounts the assessment role (it reads the inventory through the shared server, so mount
    /// sync too); it judges at the instants `clock` gives.
    pub fn with_assessment(mut self, settings: RoleSettings, clock: SharedClock) -> Self {
        self.assessment = Some((settings, clock));
        self
    }

    /// Starts the simulator and the roles on `db`.
    pub async fn start(self, db: TestDatabase) -> World {
        posture_graph::install_crypto_provider();
        let bus = self.bus.unwrap_or_else(memory_bus);
        let sim = Simulator::start(self.sim).await.expect("simulator starts");
        let shutdown = CancellationToken::new();
        let metrics = MetricsRegistry::new();
        // Bind first so the roles' channels point at the server before it serves.
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let config = GrpcConfig::default();
        let endpoint = format!("http://{addr}");
        // As standalone does: one throwaway CA, one certificate naming every role.
        let authority = Arc::new(
            CertificateAuthority::generate("Posture test CA", Duration::from_secs(24 * 3600))
                .expect("test CA"),
        );
        let tls = InternalTls::issued_by(&authority, &ServiceRole::ALL).expect("internal TLS identity");
        let channel = internal_channel(&endpoint, ServiceRole::Credentials, &tls, &config).expect("channel");
        let key = KeyId::new("k1").expect("key id");
        let keyring = Keyring::new([(key.clone(), KeyMaterial::generate())], key).expect("keyring");
        let credentials = posture_credentials::start(CredentialsDeps {
            db: db.connect("credentials").await.expect("credentials db"),
            bus: bus.clone(),
            clock: Arc::new(SystemClock),
            shutdown: shutdown.clone(),
            tasks: TaskTracker::new(),
            keyring,
            token_broker: Some(channel.clone()),
            settings: CredentialsSettings::default(),
        })
        .await
        .expect("credentials role starts");
        let tokens = posture_tokens::start(posture_tokens::TokensDeps {
            bus: bus.clone(),
            clock: Arc::new(SystemClock),
            shutdown: shutdown.clone(),
            tasks: TaskTracker::new(),
            vault: channel.clone(),
            coordinator: Arc::new(posture_tokens::InProcessCoordinator::new(Duration::from_secs(30))),
            settings: posture_tokens::BrokerSettings::default(),
        })
        .await
        .expect("tokens role starts");
        let mut server = tokens.register(
            credentials.register(
                GrpcServer::new(&config)
                    .internal_tls(&tls)
                    .descriptor_set(posture_proto::FILE_DESCRIPTOR_SET)
                    .metrics(&metrics),
            ),
        );
        let sync = match self.sync {
            Some(mut settings) => {
                if settings.dns.server.is_none() {
                    settings.dns.server = Some(sim.dns_addr());
                }
                let role = start_sync_role(
                    &db,
                    &bus,
                    &channel,
                    settings,
                    &shutdown,
                    &TaskTracker::new(),
                    &metrics,
                )
                .await;
                server = role.register(server);
                Some(role)
            }
            None => None,
        };
        let assessment = match self.assessment {
            Some((settings, clock)) => {
                let role = posture_assessment::service::start(AssessmentDeps {
                    db: db.connect("assessment").await.expect("assessment db"),
                    bus: bus.clone(),
                    clock,
                    shutdown: shutdown.clone(),
                    tasks: TaskTracker::new(),
                    sync: channel.clone(),
                    credentials: channel.clone(),
                    metrics: Default::default(),
                    settings,
                })
                .await
                .expect("assessment role starts");
                server = role.register(server);
                Some(role)
            }
            None => None,
        };
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let _ = server.serve(listener, stop).await;
        });
        World {
            sim,
            db,
            bus,
            channel,
            endpoint,
            tls,
            authority,
            sync,
            assessment,
            shutdown,
            metrics,
        }
    }
}

async fn start_sync_role(
    db: &TestDatabase,
    bus: &Arc<dyn Bus>,
    roles: &Channel,
    settings: SyncSettings,
    shutdown: &CancellationToken,
    tasks: &TaskTracker,
    metrics: &MetricsRegistry,
) -> SyncRole {
    posture_sync::start(SyncDeps {
        db: db.connect("sync").await.expect("sync db"),
        bus: bus.clone(),
        clock: Arc::new(SystemClock),
        shutdown: shutdown.clone(),
        tasks: tasks.clone(),
        credentials: roles.clone(),
        tokens: roles.clone(),
        metrics: metrics.clone(),
        settings,
    })
    .await
    .expect("sync role starts")
}

impl Drop for World {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl World {
    pub fn builder() -> WorldBuilder {
        WorldBuilder::default()
    }

    /// Writes a certificate for `roles` from the world's CA into `dir` (`ca.crt`, `role.crt`,
    /// `role.key`), for a separate process that calls the world's roles.
    pub fn identity_files(&self, dir: &std::path::Path, roles: &[ServiceRole]) -> PemFiles {
        let issued = self
            .authority
            .issue_roles(roles, Duration::from_secs(24 * 3600))
            .expect("role certificate");
        let files = PemFiles {
            certificate: dir.join("role.crt"),
            private_key: dir.join("role.key"),
            ca: Some(dir.join("ca.crt")),
        };
        write_public(&files.certificate, &issued.certificate_pem).expect("write certificate");
        write_private(&files.private_key, &issued.private_key_pem).expect("write key");
        write_public(dir.join("ca.crt").as_path(), self.authority.certificate_pem()).expect("write CA");
        files
    }

    /// A simulator tenant, connected through the credentials role with its own secret.
    pub async fn tenant(&self, spec: TenantSpec) -> TenantInfo {
        let info = self.sim.create_tenant(spec).expect("tenant is created");
        TenantConnectionServiceClient::new(self.channel.clone())
            .create_connection(connection_request(&self.sim, &info))
            .await
            .expect("connection is created");
        info
    }

    /// Starts a sync role on the shared database and bus, with its own server and shutdown.
    pub async fn start_sync(&self, mut settings: SyncSettings) -> SyncProcess {
        // Mail records are asked of the simulator's DNS server, never the machine's resolvers.
        if settings.dns.server.is_none() {
            settings.dns.server = Some(self.sim.dns_addr());
        }
        let shutdown = self.shutdown.child_token();
        let tasks = TaskTracker::new();
        let role = start_sync_role(
            &self.db,
            &self.bus,
            &self.channel,
            settings,
            &shutdown,
            &tasks,
            &self.metrics,
        )
        .await;
        let server = role.register(
            GrpcServer::new(&GrpcConfig::default())
                .internal_tls(&self.tls)
                .descriptor_set(posture_proto::FILE_DESCRIPTOR_SET)
                .metrics(&self.metrics),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let _ = server.serve(listener, stop).await;
        });
        let channel = internal_channel(
            &format!("http://{addr}"),
            ServiceRole::Sync,
            &self.tls,
            &GrpcConfig::default(),
        )
        .expect("channel");
        SyncProcess {
            role,
            channel,
            shutdown,
            tasks,
        }
    }

    /// Syncs `entity_kinds` (every kind when empty) through the shared server's sync role and
    /// waits until the run is terminal.
    pub async fn sync_and_wait(&self, tenant: &TenantInfo, entity_kinds: Vec<String>) -> pb::SyncRun {
        let run = SyncServiceClient::new(self.channel.clone())
            .start_sync(pb::StartSyncRequest {
                tenant_id: tenant.tenant_id.to_string(),
                entity_kinds,
            })
            .await
            .expect("run starts")
            .into_inner()
            .run
            .expect("run");
        wait_for_run(&self.channel, &tenant.tenant_id.to_string(), &run.run_id).await
    }
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

/// Polls the run on `channel`'s sync role until it is terminal; panics after [`PATIENCE`].
pub async fn wait_for_run(channel: &Channel, tenant_id: &str, run_id: &str) -> pb::SyncRun {
    let mut client = SyncServiceClient::new(channel.clone());
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let run = client
            .get_sync_run(pb::GetSyncRunRequest {
                tenant_id: tenant_id.to_owned(),
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
