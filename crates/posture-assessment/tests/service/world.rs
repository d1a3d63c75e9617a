//! The world a service test runs in, composed as standalone composes it: the simulator (real
//! HTTP), the credentials, tokens, sync and assessment roles mounted on one loopback gRPC server
//! (the assessment role reads the inventory through it), one database and one bus.

use std::sync::Arc;
use std::time::Duration;

use posture_assessment::service::{AssessmentDeps, AssessmentRole, RoleSettings};
use posture_bus::{Bus, Consumer, ConsumerConfig, MemoryBus, Prefix, StreamSettings, SubjectFilter, topics};
use posture_credentials::{CredentialsDeps, CredentialsSettings, KeyId, KeyMaterial, Keyring};
use posture_graph_sim::{SimConfig, Simulator, TenantInfo, TenantSpec};
use posture_kit::clock::{SharedClock, SystemClock};
use posture_kit::config::GrpcConfig;
use posture_kit::db::test_support::TestDatabase;
use posture_kit::grpc::{GrpcServer, lazy_channel};
use posture_proto::v1 as pb;
use posture_proto::v1::assessment_service_client::AssessmentServiceClient;
use posture_proto::v1::exception_service_client::ExceptionServiceClient;
use posture_proto::v1::inventory_service_client::InventoryServiceClient;
use posture_proto::v1::sync_service_client::SyncServiceClient;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use posture_sync::{SyncDeps, SyncSettings};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tonic::transport::Channel;

/// Generous bound for anything the tests wait on; reaching it is a failure, not a measurement.
pub const PATIENCE: Duration = Duration::from_secs(120);

pub struct World {
    pub sim: Simulator,
    /// Kept alive for the roles' pools; dropped (and removed) with the world.
    _db: TestDatabase,
    pub bus: Arc<dyn Bus>,
    pub channel: Channel,
    /// The loopback gRPC server every role is mounted on, e.g. `http://127.0.0.1:41234` (the
    /// role bench's measuring child connects to it).
    #[allow(dead_code)]
    pub endpoint: String,
    pub assessment: AssessmentRole,
    pub shutdown: CancellationToken,
}

impl Drop for World {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub fn memory_bus() -> Arc<dyn Bus> {
    let prefix = Prefix::new(format!("t{}", uuid::Uuid::new_v4().simple())).expect("valid prefix");
    Arc::new(MemoryBus::new(prefix, StreamSettings::default()))
}

fn sync_settings() -> SyncSettings {
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

/// One consumer worker, so run-completed events are handled in the order they were published.
pub fn assessment_settings() -> RoleSettings {
    let mut settings = RoleSettings {
        concurrency: 1,
        ack_wait: Duration::from_secs(30),
        ..RoleSettings::default()
    };
    settings.bus_retry.initial_backoff = Duration::from_millis(100);
    settings.bus_retry.max_backoff = Duration::from_millis(500);
    settings.bus_retry.shutdown_grace = Duration::from_millis(50);
    settings
}

impl World {
    pub async fn new(db: TestDatabase) -> World {
        Self::build(db, memory_bus(), Arc::new(SystemClock), assessment_settings()).await
    }

    /// The assessment role judges at the instants `clock` gives (exception expiry).
    pub async fn with_clock(db: TestDatabase, clock: SharedClock) -> World {
        Self::build(db, memory_bus(), clock, assessment_settings()).await
    }

    pub async fn with_bus(db: TestDatabase, bus: Arc<dyn Bus>) -> World {
        Self::build(db, bus, Arc::new(SystemClock), assessment_settings()).await
    }

    /// The assessment role runs with `settings`.
    pub async fn with_settings(db: TestDatabase, bus: Arc<dyn Bus>, settings: RoleSettings) -> World {
        Self::build(db, bus, Arc::new(SystemClock), settings).await
    }

    async fn build(
        db: TestDatabase,
        bus: Arc<dyn Bus>,
        assessment_clock: SharedClock,
        assessment_settings: RoleSettings,
    ) -> World {
        posture_graph::install_crypto_provider();
        let sim = Simulator::start(SimConfig::default())
            .await
            .expect("simulator starts");
        let shutdown = CancellationToken::new();
        // Bind first so the roles' channels point at the server before it serves.
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let config = GrpcConfig::default();
        let endpoint = format!("http://{addr}");
        let channel = lazy_channel(&endpoint, &config).expect("channel");
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
        let sync = posture_sync::start(SyncDeps {
            db: db.connect("sync").await.expect("sync db"),
            bus: bus.clone(),
            clock: Arc::new(SystemClock),
            shutdown: shutdown.clone(),
            tasks: TaskTracker::new(),
            credentials: channel.clone(),
            tokens: channel.clone(),
            settings: sync_settings(),
        })
        .await
        .expect("sync role starts");
        let assessment = posture_assessment::service::start(AssessmentDeps {
            db: db.connect("assessment").await.expect("assessment db"),
            bus: bus.clone(),
            clock: assessment_clock,
            shutdown: shutdown.clone(),
            tasks: TaskTracker::new(),
            sync: channel.clone(),
            settings: assessment_settings,
        })
        .await
        .expect("assessment role starts");
        let server = assessment
            .register(sync.register(tokens.register(credentials.register(GrpcServer::new(&config)))));
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let _ = server.serve(listener, stop).await;
        });
        World {
            sim,
            _db: db,
            bus,
            channel,
            endpoint,
            assessment,
            shutdown,
        }
    }

    pub fn assessments(&self) -> AssessmentServiceClient<Channel> {
        AssessmentServiceClient::new(self.channel.clone())
    }

    pub fn exceptions(&self) -> ExceptionServiceClient<Channel> {
        ExceptionServiceClient::new(self.channel.clone())
    }

    pub fn inventory(&self) -> InventoryServiceClient<Channel> {
        InventoryServiceClient::new(self.channel.clone())
    }

    /// A simulator tenant connected through the credentials role.
    pub async fn tenant(&self, spec: TenantSpec) -> TenantInfo {
        let info = self.sim.create_tenant(spec).expect("tenant is created");
        let base = self.sim.base_url();
        let at = |p: &str| format!("{}{p}", base.as_str());
        TenantConnectionServiceClient::new(self.channel.clone())
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

    /// Syncs every kind of the tenant and waits until the run is terminal.
    pub async fn sync(&self, tenant: &TenantInfo) -> pb::SyncRun {
        self.sync_kinds(tenant, Vec::new()).await
    }

    /// Syncs `entity_kinds` (every kind when empty) and waits until the run is terminal.
    pub async fn sync_kinds(&self, tenant: &TenantInfo, entity_kinds: Vec<String>) -> pb::SyncRun {
        let mut client = SyncServiceClient::new(self.channel.clone());
        let run = client
            .start_sync(pb::StartSyncRequest {
                tenant_id: tenant.tenant_id.to_string(),
                entity_kinds,
            })
            .await
            .expect("run starts")
            .into_inner()
            .run
            .expect("run");
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let run = client
                .get_sync_run(pb::GetSyncRunRequest {
                    tenant_id: tenant.tenant_id.to_string(),
                    run_id: run.run_id.clone(),
                })
                .await
                .expect("run is readable")
                .into_inner()
                .run
                .expect("run");
            if run.state != pb::SyncRunState::Pending as i32 && run.state != pb::SyncRunState::Running as i32
            {
                return run;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "run did not finish: {run:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for the assessment of `run_id` to be terminal.
    pub async fn assessment_of_run(&self, tenant: &TenantInfo, run_id: &str) -> pb::Assessment {
        self.wait_for(tenant, |a| {
            a.sync_run_id == run_id && a.trigger == pb::AssessmentTrigger::SyncCompleted as i32
        })
        .await
    }

    /// Waits for assessment `id` to be terminal.
    pub async fn finished(&self, tenant: &TenantInfo, id: &str) -> pb::Assessment {
        self.wait_for(tenant, |a| a.assessment_id == id).await
    }

    async fn wait_for(
        &self,
        tenant: &TenantInfo,
        wanted: impl Fn(&pb::Assessment) -> bool,
    ) -> pb::Assessment {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let page = self
                .assessments()
                .list_assessments(pb::ListAssessmentsRequest {
                    tenant_id: tenant.tenant_id.to_string(),
                    page_size: 500,
                    ..Default::default()
                })
                .await
                .expect("assessments are listed")
                .into_inner();
            if let Some(found) = page.assessments.into_iter().find(|a| {
                wanted(a)
                    && (a.state == pb::AssessmentState::Succeeded as i32
                        || a.state == pb::AssessmentState::Failed as i32)
            }) {
                return found;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no finished assessment appeared"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every finding of an assessment, through every page.
    pub async fn all_findings(&self, tenant: &TenantInfo, assessment_id: &str) -> Vec<pb::Finding> {
        findings(
            self,
            tenant,
            pb::ListFindingsRequest {
                assessment_id: assessment_id.to_owned(),
                ..Default::default()
            },
        )
        .await
    }

    /// Starts a manual assessment and waits for it.
    pub async fn assess_now(&self, tenant: &TenantInfo) -> pb::Assessment {
        let started = self
            .assessments()
            .start_assessment(pb::StartAssessmentRequest {
                tenant_id: tenant.tenant_id.to_string(),
            })
            .await
            .expect("assessment starts")
            .into_inner()
            .assessment
            .expect("assessment");
        self.finished(tenant, &started.assessment_id).await
    }

    /// A member of a fresh consumer of AssessmentCompleted events.
    pub async fn completions(&self) -> Box<dyn Consumer> {
        self.events(topics::ASSESSMENT_COMPLETED.filter()).await
    }

    /// A member of a fresh consumer of the events `filter` matches.
    pub async fn events(&self, filter: SubjectFilter) -> Box<dyn Consumer> {
        let name = format!("test-events-{}", uuid::Uuid::new_v4().simple());
        let config = ConsumerConfig::new(name, filter).expect("consumer config");
        self.bus.consumer(config).await.expect("consumer")
    }

    /// Every assessment of the tenant, newest first.
    pub async fn all_assessments(&self, tenant: &TenantInfo) -> Vec<pb::Assessment> {
        self.assessments()
            .list_assessments(pb::ListAssessmentsRequest {
                tenant_id: tenant.tenant_id.to_string(),
                page_size: 500,
                ..Default::default()
            })
            .await
            .expect("assessments are listed")
            .into_inner()
            .assessments
    }
}

/// Every finding matching `request` (tenant filled in), following page tokens.
pub async fn findings(
    world: &World,
    tenant: &TenantInfo,
    mut request: pb::ListFindingsRequest,
) -> Vec<pb::Finding> {
    request.tenant_id = tenant.tenant_id.to_string();
    let mut all = Vec::new();
    loop {
        let page = world
            .assessments()
            .list_findings(request.clone())
            .await
            .expect("findings are listed")
            .into_inner();
        all.extend(page.findings);
        if page.next_page_token.is_empty() {
            return all;
        }
        request.page_token = page.next_page_token;
    }
}

pub fn finding<'a>(findings: &'a [pb::Finding], control_id: &str) -> &'a pb::Finding {
    findings
        .iter()
        .find(|f| f.control_id == control_id)
        .unwrap_or_else(|| panic!("no finding for {control_id}"))
}
