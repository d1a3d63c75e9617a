//! Shared set-up of the gateway's integration tests: a gateway served over a real socket on
//! 127.0.0.1:0 with a throwaway database, backend doubles served the same way, and helpers to
//! mint keys and call with them.
#![allow(dead_code)]

mod assessment;
pub mod backend;

use std::sync::Arc;
use std::time::Duration;

use posture_gateway::{
    AccessRole, ActivitySettings, GatewayDeps, GatewayRole, NewApiKey, TenantScope, Upstreams, issue_key,
};
use posture_kit::ServiceRole;
use posture_kit::clock::{Clock, SystemClock};
use posture_kit::config::GrpcConfig;
use posture_kit::db::test_support::TestDatabase;
use posture_kit::grpc::GrpcServer;
use posture_kit::ids::TenantId;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tonic::transport::Channel;

pub use backend::Backend;

pub const TENANT_A: &str = "9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11";
pub const TENANT_B: &str = "4c1d7e3a-8f2b-4a6c-9e5d-1b0a2c3d4e5f";

/// A server running until this value is dropped.
pub struct Served {
    pub address: String,
    shutdown: CancellationToken,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub fn grpc_config() -> GrpcConfig {
    GrpcConfig {
        request_timeout_secs: 10,
        connect_timeout_secs: 2,
        ..GrpcConfig::default()
    }
}

pub async fn serve(server: GrpcServer) -> Served {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a free port");
    let address = format!("http://{}", listener.local_addr().expect("local address"));
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        if let Err(error) = server.serve(listener, stop).await {
            eprintln!("test server failed: {error}");
        }
    });
    Served { address, shutdown }
}

/// Every backend service the doubles implement, on one server (like standalone mode).
pub async fn serve_backend(backend: &Backend) -> Served {
    let server = GrpcServer::new(&grpc_config())
        .add_service(backend.credentials())
        .add_service(backend.sync())
        .add_service(backend.assessment())
        .add_service(backend.scores())
        .add_service(backend.drift());
    serve(server).await
}

/// The real credentials role (not a double) on its own database, served like a backend.
pub async fn credentials_role(db: &TestDatabase) -> Served {
    use posture_credentials::{CredentialsDeps, CredentialsSettings, KeyId, KeyMaterial, Keyring};
    let key_id = KeyId::new("k1").expect("key id");
    let keyring = Keyring::new([(key_id.clone(), KeyMaterial::generate())], key_id).expect("keyring");
    let role = posture_credentials::start(CredentialsDeps {
        db: db
            .connect("credentials")
            .await
            .expect("connect credentials schema"),
        bus: Arc::new(posture_bus::MemoryBus::default()) as Arc<dyn posture_bus::Bus>,
        clock: Arc::new(SystemClock),
        shutdown: CancellationToken::new(),
        tasks: TaskTracker::new(),
        keyring,
        token_broker: None,
        settings: CredentialsSettings::default(),
    })
    .await
    .expect("credentials role starts");
    serve(role.register(GrpcServer::new(&grpc_config()))).await
}

/// An address where nothing listens (a port that was just released).
pub async fn closed_address() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a free port");
    let address = format!("http://{}", listener.local_addr().expect("local address"));
    drop(listener);
    address
}

/// Upstreams with every backend role at `address`.
pub fn all_roles_at(address: &str) -> Upstreams {
    [
        ServiceRole::Credentials,
        ServiceRole::Sync,
        ServiceRole::Scheduler,
        ServiceRole::Assessment,
    ]
    .into_iter()
    .fold(Upstreams::none(), |upstreams, role| {
        upstreams
            .with_address(role, address, &grpc_config())
            .expect("valid address")
    })
}

pub struct TestGateway {
    pub address: String,
    pub role: GatewayRole,
    pub admin_key: String,
    pub db: TestDatabase,
    served: Served,
}

impl TestGateway {
    pub async fn start(db: TestDatabase, upstreams: Upstreams) -> Self {
        Self::start_with(db, upstreams, grpc_config()).await
    }

    pub async fn start_with(db: TestDatabase, upstreams: Upstreams, grpc: GrpcConfig) -> Self {
        Self::start_configured(db, upstreams, grpc, Duration::from_secs(2)).await
    }

    pub async fn start_configured(
        db: TestDatabase,
        upstreams: Upstreams,
        grpc: GrpcConfig,
        overview_part_timeout: Duration,
    ) -> Self {
        Self::start_full(
            db,
            upstreams,
            grpc,
            overview_part_timeout,
            Arc::new(SystemClock),
            ActivitySettings::default(),
        )
        .await
    }

    /// With its own clock and activity retention (the retention task stops with the gateway).
    pub async fn start_full(
        db: TestDatabase,
        upstreams: Upstreams,
        grpc: GrpcConfig,
        overview_part_timeout: Duration,
        clock: Arc<dyn Clock>,
        activity: ActivitySettings,
    ) -> Self {
        let pool = db
            .connect(posture_gateway::SCHEMA)
            .await
            .expect("connect gateway schema");
        let served_shutdown = CancellationToken::new();
        let deps = GatewayDeps {
            db: pool,
            clock,
            shutdown: served_shutdown.clone(),
            tasks: TaskTracker::new(),
            upstreams,
            max_message_bytes: grpc.max_message_bytes,
            overview_part_timeout,
            activity,
        };
        let role = posture_gateway::start(deps).await.expect("gateway starts");
        let served = serve(role.register(GrpcServer::new(&grpc))).await;
        // The role's background tasks stop with the server.
        let stop_tasks = served.shutdown.clone();
        tokio::spawn(async move {
            stop_tasks.cancelled().await;
            served_shutdown.cancel();
        });
        let mut gateway = Self {
            address: served.address.clone(),
            role,
            admin_key: String::new(),
            db,
            served,
        };
        gateway.admin_key = gateway
            .key("admin", AccessRole::Admin, TenantScope::AllTenants)
            .await;
        gateway
    }

    /// Mints a key directly in the store, as the bootstrap does.
    pub async fn key(&self, name: &str, role: AccessRole, scope: TenantScope) -> String {
        self.key_expiring(name, role, scope, None).await
    }

    pub async fn key_expiring(
        &self,
        name: &str,
        role: AccessRole,
        scope: TenantScope,
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> String {
        let new = NewApiKey {
            display_name: name.to_owned(),
            role,
            scope,
            expires_at,
            created_by: "test".to_owned(),
        };
        let issued = issue_key(self.role.store(), new, SystemClock.now())
            .await
            .expect("key issued");
        issued.key.expose_secret().to_owned()
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.address.clone())
            .expect("valid address")
            .connect()
            .await
            .expect("gateway reachable")
    }
}

pub fn only(tenant: &str) -> TenantScope {
    TenantScope::Tenants([tenant.parse::<TenantId>().expect("guid")].into())
}

/// A request carrying `authorization: Bearer <key>`.
pub fn with_key<T>(key: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {key}").parse().expect("ascii key"),
    );
    request
}
