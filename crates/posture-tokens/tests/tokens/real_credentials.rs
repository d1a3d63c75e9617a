//! The tokens role wired to the real credentials role, both mounted on one internal gRPC server as
//! in standalone mode: the connection is created through the public API, its secret reaches the
//! broker only through the vault, and the health found comes back to the connection and is
//! announced once, by the credentials role.

use std::sync::Arc;
use std::time::{Duration, Instant};

use posture_bus::{Bus, Consumer, MemoryBus};
use posture_credentials::{
    CredentialsDeps, CredentialsRole, CredentialsSettings, KeyId, KeyMaterial, Keyring,
};
use posture_graph_sim::{SimConfig, Simulator, TenantInfo, TenantSpec};
use posture_kit::ServiceRole;
use posture_kit::clock::SystemClock;
use posture_kit::config::GrpcConfig;
use posture_kit::db::test_support::TestDatabase;
use posture_kit::grpc::{GrpcServer, internal_channel};
use posture_kit::tls::InternalTls;
use posture_proto::internal::v1::token_broker_service_client::TokenBrokerServiceClient;
use posture_proto::internal::v1::{GetTokenRequest, TestConnectionRequest};
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use posture_proto::v1::{
    ApiResource, ClientSecretCredential, Cloud, CloudEndpoints, ConnectionState, CreateConnectionRequest,
    Credential, GetConnectionRequest, UpdateCredentialsRequest, credential,
};
use posture_tokens::{InProcessCoordinator, TokensDeps};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tonic::transport::Channel;

use crate::common::{health_announcements, health_watcher};

pub(crate) fn as_admin<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        posture_kit::grpc::PRINCIPAL_METADATA,
        "ops-admin".parse().expect("metadata"),
    );
    request
}

pub(crate) fn secret(value: &str) -> Credential {
    let expires = chrono::Utc::now() + chrono::Duration::days(180);
    Credential {
        kind: Some(credential::Kind::ClientSecret(ClientSecretCredential {
            secret_value: value.to_owned(),
            expires_at: Some(prost_types::Timestamp {
                seconds: expires.timestamp(),
                nanos: 0,
            }),
        })),
    }
}

/// The simulator with one tenant, and the real credentials and tokens roles on one internal
/// server (as standalone mounts them), the tenant connected through the public API.
pub(crate) struct RealRoles {
    pub sim: Simulator,
    pub tenant: TenantInfo,
    pub tenant_id: String,
    pub internal: Channel,
    pub bus: Arc<dyn Bus>,
    pub database: TestDatabase,
    pub credentials: CredentialsRole,
    pub shutdown: CancellationToken,
    pub watcher: Box<dyn Consumer>,
    pub connections: TenantConnectionServiceClient<Channel>,
}

pub(crate) async fn real_roles_with_a_connection() -> RealRoles {
    posture_graph::install_crypto_provider();
    let sim = Simulator::start(SimConfig::default()).await.expect("simulator");
    let tenant = sim.create_tenant(TenantSpec::default()).expect("tenant");
    let tenant_id = tenant.tenant_id.to_string();
    let base = sim.base_url().as_str().trim_end_matches('/').to_owned();

    let grpc = GrpcConfig::default();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let tls = InternalTls::ephemeral(&ServiceRole::ALL).expect("internal TLS identity");
    let internal = internal_channel(&address, ServiceRole::Credentials, &tls, &grpc).expect("channel");
    let shutdown = CancellationToken::new();
    let tasks = TaskTracker::new();
    let bus: Arc<dyn Bus> = Arc::new(MemoryBus::default());
    let database = TestDatabase::sqlite().expect("sqlite database");
    let key = KeyId::new("k1").expect("key id");
    let credentials = posture_credentials::start(CredentialsDeps {
        db: database.connect("credentials").await.expect("database"),
        bus: bus.clone(),
        clock: Arc::new(SystemClock),
        shutdown: shutdown.clone(),
        tasks: tasks.clone(),
        keyring: Keyring::new(vec![(key.clone(), KeyMaterial::generate())], key).expect("keyring"),
        token_broker: Some(internal.clone()),
        settings: CredentialsSettings::default(),
    })
    .await
    .expect("credentials role");
    let tokens = posture_tokens::start(TokensDeps {
        bus: bus.clone(),
        clock: Arc::new(SystemClock),
        shutdown: shutdown.clone(),
        tasks: tasks.clone(),
        vault: internal.clone(),
        coordinator: Arc::new(InProcessCoordinator::default()),
        settings: crate::common::settings(),
    })
    .await
    .expect("tokens role");
    let server = tokens.register(credentials.register(GrpcServer::new(&grpc).internal_tls(&tls)));
    tokio::spawn(server.serve(listener, shutdown.clone()));
    let watcher = health_watcher(bus.as_ref()).await;

    let mut connections = TenantConnectionServiceClient::new(internal.clone());
    connections
        .create_connection(as_admin(CreateConnectionRequest {
            tenant_id: tenant_id.clone(),
            display_name: "Simulated customer".into(),
            client_id: tenant.client_id.to_string(),
            cloud: Cloud::Custom as i32,
            endpoints: Some(CloudEndpoints {
                authority_url: format!("{base}/login"),
                graph_url: format!("{base}/graph"),
                defender_url: format!("{base}/mde"),
                management_activity_url: format!("{base}/manage"),
                exchange_url: format!("{base}/exo"),
            }),
            credential: Some(secret(tenant.client_secret.expose())),
            tags: Vec::new(),
        }))
        .await
        .expect("connection created");
    RealRoles {
        sim,
        tenant,
        tenant_id,
        internal,
        bus,
        database,
        credentials,
        shutdown,
        watcher,
        connections,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_credentials_role_serves_the_broker_and_receives_its_health() {
    let RealRoles {
        sim,
        tenant,
        tenant_id,
        internal,
        bus,
        shutdown,
        mut watcher,
        mut connections,
        // Bound so they live as long as the test: dropping them would stop the simulator and
        // remove the database under the roles.
        database: _database,
        credentials: _credentials,
    } = real_roles_with_a_connection().await;

    // The creation event makes the broker test the connection; the health lands on the connection.
    let health_of = |connections: TenantConnectionServiceClient<tonic::transport::Channel>| {
        let tenant_id = tenant_id.clone();
        async move {
            let mut connections = connections;
            connections
                .get_connection(as_admin(GetConnectionRequest { tenant_id }))
                .await
                .expect("connection")
                .into_inner()
                .connection
                .and_then(|c| c.health)
                .map(|h| h.state)
        }
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while health_of(connections.clone()).await != Some(ConnectionState::Connected as i32) {
        assert!(Instant::now() < deadline, "the connection never became CONNECTED");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut broker = TokenBrokerServiceClient::new(internal.clone());
    // Another test in the same state records the health again but announces nothing: the one
    // announcement is the credentials role's, for the change from Pending to Connected.
    broker
        .test_connection(TestConnectionRequest {
            tenant_id: tenant_id.clone(),
        })
        .await
        .expect("the test runs");
    let announced = health_announcements(watcher.as_mut(), bus.as_ref(), &tenant).await;
    assert_eq!(announced.len(), 1, "{announced:#?}");
    assert_eq!(announced[0].previous_state, ConnectionState::Pending as i32);
    assert_eq!(
        announced[0].health.as_ref().map(|h| h.state),
        Some(ConnectionState::Connected as i32)
    );

    let get = GetTokenRequest {
        tenant_id: tenant_id.clone(),
        resource: ApiResource::Graph as i32,
        min_valid_seconds: 0,
    };
    let first = broker.get_token(get.clone()).await.expect("token").into_inner();
    let version = first.credential_version;
    assert!(first.roles.iter().any(|r| r == "User.Read.All"));

    // Rotating the secret through the public API reaches the broker through the bus.
    let rotated = sim.add_secret(&tenant_id, 365).expect("new secret");
    connections
        .update_credentials(as_admin(UpdateCredentialsRequest {
            tenant_id: tenant_id.clone(),
            credential: Some(secret(rotated.value.expose())),
            client_id: String::new(),
        }))
        .await
        .expect("credentials updated");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let token = broker.get_token(get.clone()).await.expect("token").into_inner();
        if token.credential_version > version {
            assert_ne!(token.access_token, first.access_token);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the old credential's token is still served"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    shutdown.cancel();
}
