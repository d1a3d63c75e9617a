//! The world a test runs in: the simulator (real HTTP), the vault double (real gRPC), a manual
//! clock, and broker replicas each serving TokenBrokerService on its own loopback port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use posture_bus::topics::CONNECTION_HEALTH_CHANGED;
use posture_bus::{Bus, BusExt, Consumer, ConsumerConfig, MemoryBus, MessageId, Prefix, StreamSettings};
use posture_graph::Resource;
use posture_graph_sim::{SimConfig, Simulator, TenantInfo, TenantSpec};
use posture_kit::ServiceRole;
use posture_kit::clock::ManualClock;
use posture_kit::config::GrpcConfig;
use posture_kit::grpc::{GrpcServer, internal_channel};
use posture_kit::ids::TenantId;
use posture_kit::tls::{CertificateAuthority, InternalTls};
use posture_proto::events::v1::ConnectionHealthChanged;
use posture_proto::internal::v1::token_broker_service_client::TokenBrokerServiceClient;
use posture_proto::internal::v1::{GetTokenRequest, GetTokenResponse};
use posture_proto::v1::ApiResource;
use posture_tokens::{BrokerSettings, InProcessCoordinator, RefreshCoordinator, TokensDeps, start};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tonic::transport::Channel;

use crate::vault_double::{StoredConnection, VaultDouble};

pub struct World {
    pub sim: Simulator,
    pub vault: VaultDouble,
    pub vault_addr: SocketAddr,
    /// The internal CA every server and caller of the test trusts.
    pub ca: Arc<CertificateAuthority>,
    pub clock: ManualClock,
    pub shutdown: CancellationToken,
}

impl Drop for World {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub fn settings() -> BrokerSettings {
    BrokerSettings {
        wait_poll: Duration::from_millis(100),
        wait_limit: Duration::from_secs(20),
        ..BrokerSettings::default()
    }
}

pub fn memory_bus() -> Arc<dyn Bus> {
    let prefix = Prefix::new(format!("t{}", uuid::Uuid::new_v4().simple())).expect("valid prefix");
    Arc::new(MemoryBus::new(prefix, StreamSettings::default()))
}

/// A consumer of every connection health announcement, created before the events it should see.
pub async fn health_watcher(bus: &dyn Bus) -> Box<dyn Consumer> {
    let filter = CONNECTION_HEALTH_CHANGED.filter();
    bus.consumer(ConsumerConfig::new("health-watcher", filter).expect("consumer config"))
        .await
        .expect("consumer")
}

/// Every `ConnectionHealthChanged` of `tenant` the watcher has not read yet: a marker is published
/// behind them and the watcher is read up to it (the events stream keeps publication order), so
/// nothing published before this call is missed and no waiting decides what "none" means.
pub async fn health_announcements(
    watcher: &mut dyn Consumer,
    bus: &dyn Bus,
    tenant: &TenantInfo,
) -> Vec<ConnectionHealthChanged> {
    let marker = format!("marker-{}", uuid::Uuid::new_v4());
    let subject =
        CONNECTION_HEALTH_CHANGED.subject(&TenantId::from_uuid(tenant.tenant_id).expect("tenant id"));
    let tenant = tenant.tenant_id.to_string();
    let event = ConnectionHealthChanged {
        event_id: marker.clone(),
        tenant_id: tenant.clone(),
        ..Default::default()
    };
    bus.publish_message(
        subject,
        MessageId::new(marker.clone()).expect("message id"),
        &event,
    )
    .await
    .expect("marker published");
    let cancel = CancellationToken::new();
    let mut announced = Vec::new();
    loop {
        let delivery = watcher
            .next(&cancel)
            .await
            .expect("bus works")
            .expect("a delivery");
        let event: ConnectionHealthChanged = delivery.decode().expect("payload");
        delivery.ack().await.expect("acked");
        if event.event_id == marker {
            return announced;
        }
        if event.tenant_id == tenant {
            announced.push(event);
        }
    }
}

impl World {
    pub async fn new() -> World {
        posture_graph::install_crypto_provider();
        let sim = Simulator::start(SimConfig::default())
            .await
            .expect("simulator starts");
        let vault = VaultDouble::default();
        let shutdown = CancellationToken::new();
        let ca =
            Arc::new(CertificateAuthority::generate("test CA", Duration::from_secs(24 * 3600)).expect("CA"));
        let vault_identity = InternalTls::issued_by(&ca, &[ServiceRole::Credentials]).expect("identity");
        let vault_addr = vault.serve(&vault_identity, shutdown.clone()).await;
        World {
            sim,
            vault,
            vault_addr,
            ca,
            clock: ManualClock::new(chrono::Utc::now()),
            shutdown,
        }
    }

    /// A simulator tenant whose credential (version 1) the vault hands out.
    pub fn tenant(&self, spec: TenantSpec) -> TenantInfo {
        let info = self.sim.create_tenant(spec).expect("tenant is created");
        self.vault.put(
            &info.tenant_id.to_string(),
            StoredConnection {
                client_id: info.client_id.to_string(),
                secret: info.client_secret.expose().to_owned(),
                version: 1,
                base_url: self.sim.base_url(),
            },
        );
        info
    }

    /// Token requests the simulator's authority received for a tenant.
    pub fn token_requests(&self, tenant: &TenantInfo) -> usize {
        self.sim
            .request_log(&tenant.tenant_id.to_string())
            .iter()
            .filter(|r| r.api == "login token")
            .count()
    }

    pub async fn replica(&self, coordinator: Arc<dyn RefreshCoordinator>, bus: Arc<dyn Bus>) -> Replica {
        self.replica_with(coordinator, bus, settings()).await
    }

    pub async fn standalone(&self) -> Replica {
        self.replica(Arc::new(InProcessCoordinator::default()), memory_bus())
            .await
    }

    pub async fn replica_with(
        &self,
        coordinator: Arc<dyn RefreshCoordinator>,
        bus: Arc<dyn Bus>,
        settings: BrokerSettings,
    ) -> Replica {
        let config = GrpcConfig::default();
        let tokens = InternalTls::issued_by(&self.ca, &[ServiceRole::Tokens]).expect("identity");
        let vault = internal_channel(
            &format!("http://{}", self.vault_addr),
            ServiceRole::Credentials,
            &tokens,
            &config,
        )
        .expect("vault channel");
        let role = start(TokensDeps {
            bus: bus.clone(),
            clock: Arc::new(self.clock.clone()),
            shutdown: self.shutdown.clone(),
            tasks: TaskTracker::new(),
            vault,
            coordinator,
            settings,
        })
        .await
        .expect("tokens role starts");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr: SocketAddr = listener.local_addr().expect("local address");
        let server = role.register(GrpcServer::new(&config).internal_tls(&tokens));
        let stop = self.shutdown.clone();
        tokio::spawn(async move {
            let _ = server.serve(listener, stop).await;
        });
        // The broker's callers: sync asks for tokens, credentials for connection tests.
        let callers = InternalTls::issued_by(&self.ca, &[ServiceRole::Sync, ServiceRole::Credentials])
            .expect("identity");
        let channel = internal_channel(&format!("http://{addr}"), ServiceRole::Tokens, &callers, &config)
            .expect("broker channel");
        Replica { channel, bus }
    }
}

pub struct Replica {
    pub channel: Channel,
    pub bus: Arc<dyn Bus>,
}

pub fn api(resource: Resource) -> ApiResource {
    match resource {
        Resource::Graph => ApiResource::Graph,
        Resource::DefenderForEndpoint => ApiResource::Defender,
        Resource::ManagementActivity => ApiResource::ManagementActivity,
        Resource::ExchangeOnline => ApiResource::ExchangeOnline,
    }
}

impl Replica {
    pub fn client(&self) -> TokenBrokerServiceClient<Channel> {
        TokenBrokerServiceClient::new(self.channel.clone())
    }

    pub async fn get_token(
        &self,
        tenant: &TenantInfo,
        resource: Resource,
    ) -> Result<GetTokenResponse, tonic::Status> {
        self.client()
            .get_token(GetTokenRequest {
                tenant_id: tenant.tenant_id.to_string(),
                resource: api(resource) as i32,
                min_valid_seconds: 0,
            })
            .await
            .map(|r| r.into_inner())
    }
}

pub fn expires_at(response: &GetTokenResponse) -> chrono::DateTime<chrono::Utc> {
    let t = response.expires_at.expect("expires_at is set");
    chrono::DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).expect("nanos fit"))
        .expect("valid time")
}

/// The `exp - iat` of a JWT: the lifetime the authority gave it.
pub fn jwt_lifetime(token: &str) -> i64 {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .expect("base64url claims");
    let claims: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON claims");
    claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat")
}
