//! Test harness: the credentials role on a real gRPC server (127.0.0.1:0) over a throwaway
//! PostgreSQL database or SQLite file, with the in-process bus (or one the test brings) and a
//! manual clock; request
//! builders and the calls most tests make; and a stand-in token broker that, like the real one,
//! reads the secret from the vault and reports health back.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use posture_bus::{Bus, Consumer, ConsumerConfig, MemoryBus};
use posture_credentials::{
    CredentialsDeps, CredentialsRole, CredentialsSettings, KeyId, KeyMaterial, Keyring,
};
use posture_kit::ServiceRole;
use posture_kit::clock::ManualClock;
use posture_kit::config::GrpcConfig;
use posture_kit::db::test_support::TestDatabase;
use posture_kit::grpc::{GrpcServer, internal_channel, lazy_channel};
pub use posture_kit::time::timestamp;
use posture_kit::tls::{CertificateAuthority, InternalTls};
use posture_proto::events::v1::ConnectionChanged;
use posture_proto::internal::v1::GetConnectionSecretRequest;
use posture_proto::internal::v1::vault_service_client::VaultServiceClient;
use posture_proto::v1::credential::Kind;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use posture_proto::v1::{
    ClientSecretCredential, Cloud, Connection, CreateConnectionRequest, Credential, CredentialAccess,
    CredentialAccessPurpose, GetConnectionRequest, ListCredentialAccessesRequest, UpdateCredentialsRequest,
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tonic::transport::Channel;

pub mod broker;

pub const TENANT_A: &str = "6f1c8a1e-0000-4000-8000-00000000000a";
pub const TENANT_B: &str = "6f1c8a1e-0000-4000-8000-00000000000b";
pub const TENANT_C: &str = "6f1c8a1e-0000-4000-8000-00000000000c";
pub const CLIENT_ID: &str = "0b7e4f2a-1111-4222-8333-444455556666";
/// A secret shaped like Azure's; tests look for it everywhere it must not be.
pub const SECRET: &str = "Xy8Q~tH1s.Is-The_Secret-Value-0123456789";
pub const OTHER_SECRET: &str = "Ab3R~another.Secret_Value-9876543210zz";
pub const ADMIN: &str = "ops-admin-key";

/// One of the tenant id constants, typed as the store takes it.
pub fn tenant(id: &str) -> posture_kit::ids::TenantId {
    id.parse().expect("tenant id")
}

pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
        .single()
        .expect("valid date")
}

pub fn keyring(ids: &[&str]) -> Keyring {
    let keys = ids
        .iter()
        .map(|id| (KeyId::new(*id).expect("key id"), KeyMaterial::generate()))
        .collect::<Vec<_>>();
    let active = KeyId::new(ids[0]).expect("key id");
    Keyring::new(keys, active).expect("keyring")
}

pub struct Options {
    pub keyring: Keyring,
    pub broker: bool,
    pub settings: CredentialsSettings,
    /// The bus the role publishes on; a fresh MemoryBus when `None`.
    pub bus: Option<Arc<dyn Bus>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            keyring: keyring(&["k1"]),
            broker: false,
            settings: CredentialsSettings::default(),
            bus: None,
        }
    }
}

pub struct Harness {
    pub role: CredentialsRole,
    pub clock: ManualClock,
    pub bus: Arc<dyn Bus>,
    pub changes: Box<dyn Consumer>,
    pub connections: TenantConnectionServiceClient<Channel>,
    pub vault: VaultServiceClient<Channel>,
    pub address: String,
    /// The internal CA the role's server trusts; [`Harness::channel_as`] issues callers from it.
    pub ca: Arc<CertificateAuthority>,
    pub shutdown: CancellationToken,
    pub tasks: TaskTracker,
    pub db: TestDatabase,
}

impl Harness {
    pub async fn start(db: TestDatabase) -> Self {
        Self::start_with(db, Options::default()).await
    }

    pub async fn start_with(db: TestDatabase, options: Options) -> Self {
        let grpc = GrpcConfig::default();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let shutdown = CancellationToken::new();
        let tasks = TaskTracker::new();
        let bus = options
            .bus
            .unwrap_or_else(|| Arc::new(MemoryBus::default()) as Arc<dyn Bus>);
        let filter = posture_bus::topics::CONNECTION_CHANGED.filter();
        let changes = bus
            .consumer(ConsumerConfig::new("test-connection-changed", filter).expect("consumer config"))
            .await
            .expect("consumer");
        let ca = Arc::new(CertificateAuthority::generate("test CA", Duration::from_secs(3600)).expect("CA"));
        let as_role = |role: ServiceRole| {
            let tls = InternalTls::issued_by(&ca, &[role]).expect("identity");
            internal_channel(&address, ServiceRole::Credentials, &tls, &grpc).expect("channel")
        };
        let broker = if options.broker {
            let channel = as_role(ServiceRole::Tokens);
            Some(broker::start(channel, shutdown.clone()).await)
        } else {
            None
        };
        let clock = ManualClock::new(start_time());
        let role = posture_credentials::start(CredentialsDeps {
            db: db.connect("credentials").await.expect("connect"),
            bus: bus.clone(),
            clock: Arc::new(clock.clone()),
            shutdown: shutdown.clone(),
            tasks: tasks.clone(),
            keyring: options.keyring,
            token_broker: broker
                .map(|broker_address| lazy_channel(&broker_address, &grpc).expect("broker channel")),
            settings: options.settings,
        })
        .await
        .expect("start credentials role");
        let identity = InternalTls::issued_by(&ca, &[ServiceRole::Credentials]).expect("identity");
        let server = role.register(GrpcServer::new(&grpc).internal_tls(&identity));
        tokio::spawn(server.serve(listener, shutdown.clone()));
        Self {
            connections: TenantConnectionServiceClient::new(as_role(ServiceRole::Gateway)),
            vault: VaultServiceClient::new(as_role(ServiceRole::Tokens)),
            ca,
            role,
            clock,
            bus,
            changes,
            address,
            shutdown,
            tasks,
            db,
        }
    }

    /// The next ConnectionChanged event (acked), failing after a few seconds.
    pub async fn next_change(&mut self) -> ConnectionChanged {
        let cancel = CancellationToken::new();
        let delivery = tokio::time::timeout(Duration::from_secs(5), self.changes.next(&cancel))
            .await
            .expect("a ConnectionChanged event within 5 s")
            .expect("bus")
            .expect("delivery");
        let event = delivery.decode::<ConnectionChanged>().expect("decode");
        delivery.ack().await.expect("ack");
        event
    }

    /// Connects `tenant_id` with `secret` (the request `create_request` builds).
    pub async fn create(&mut self, tenant_id: &str, secret: &str) {
        self.connections
            .create_connection(create_request(tenant_id, secret))
            .await
            .expect("create");
    }

    /// Replaces the tenant's secret with `secret`, expiring at `expires_at`.
    pub async fn rotate_secret(&mut self, tenant_id: &str, secret: &str, expires_at: DateTime<Utc>) {
        self.connections
            .update_credentials(update_credentials_request(tenant_id, secret, expires_at))
            .await
            .expect("rotate");
    }

    pub async fn connection(&mut self, tenant_id: &str) -> Result<Connection, tonic::Status> {
        let response = self
            .connections
            .get_connection(GetConnectionRequest {
                tenant_id: tenant_id.to_owned(),
            })
            .await?;
        Ok(response.into_inner().connection.expect("connection"))
    }

    /// The first page of the tenant's credential access log, newest first.
    pub async fn access_log(&mut self, tenant_id: &str) -> Vec<CredentialAccess> {
        self.connections
            .list_credential_accesses(ListCredentialAccessesRequest {
                tenant_id: tenant_id.to_owned(),
                ..Default::default()
            })
            .await
            .expect("access log")
            .into_inner()
            .accesses
    }

    /// A channel to the role's internal server as a caller holding `roles`.
    pub fn channel_as(&self, roles: &[ServiceRole]) -> Channel {
        let tls = InternalTls::issued_by(&self.ca, roles).expect("identity");
        internal_channel(
            &self.address,
            ServiceRole::Credentials,
            &tls,
            &GrpcConfig::default(),
        )
        .expect("channel")
    }

    pub async fn stop(self) {
        self.stop_and_keep_database().await;
    }

    /// Stops the role (server and background tasks) and hands back its database for a restart.
    pub async fn stop_and_keep_database(self) -> TestDatabase {
        self.shutdown.cancel();
        self.tasks.close();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.tasks.wait()).await;
        self.db
    }
}

/// A request carrying the admin principal, as the gateway forwards it.
pub fn as_admin<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    posture_kit::grpc::set_principal(request.metadata_mut(), ADMIN);
    request
}

pub fn secret_credential(value: &str, expires_at: DateTime<Utc>) -> Credential {
    Credential {
        kind: Some(Kind::ClientSecret(ClientSecretCredential {
            secret_value: value.to_owned(),
            expires_at: Some(timestamp(expires_at)),
        })),
    }
}

/// Replaces the tenant's credential with a client secret expiring at `expires_at`.
pub fn update_credentials_request(
    tenant_id: &str,
    secret: &str,
    expires_at: DateTime<Utc>,
) -> UpdateCredentialsRequest {
    UpdateCredentialsRequest {
        tenant_id: tenant_id.to_owned(),
        credential: Some(secret_credential(secret, expires_at)),
        client_id: String::new(),
    }
}

/// What the token broker asks the vault for before a token request.
pub fn vault_request(tenant_id: &str) -> GetConnectionSecretRequest {
    GetConnectionSecretRequest {
        tenant_id: tenant_id.to_owned(),
        purpose: CredentialAccessPurpose::TokenRequest as i32,
    }
}

/// The secret value of a client-secret credential; anything else fails the test.
pub fn secret_value(credential: Option<Credential>) -> String {
    match credential.and_then(|c| c.kind) {
        Some(Kind::ClientSecret(secret)) => secret.secret_value,
        other => panic!("expected a client secret, got {other:?}"),
    }
}

pub fn create_request(tenant_id: &str, secret: &str) -> CreateConnectionRequest {
    CreateConnectionRequest {
        tenant_id: tenant_id.to_owned(),
        display_name: format!("Customer {}", &tenant_id[tenant_id.len() - 2..]),
        tags: Vec::new(),
        client_id: CLIENT_ID.to_owned(),
        cloud: Cloud::Global as i32,
        endpoints: None,
        credential: Some(secret_credential(
            secret,
            start_time() + chrono::Duration::days(180),
        )),
    }
}

/// Evaluates `$body` with `$pool` bound to the role's connection pool, whichever backend it is
/// (sqlx pools of the two backends are different types, hence a macro).
macro_rules! with_pool {
    ($harness:expr, |$pool:ident| $body:expr) => {
        match $harness.role.store().db() {
            posture_kit::db::Db::Postgres($pool) => $body,
            posture_kit::db::Db::Sqlite($pool) => $body,
        }
    };
}
// Re-exported for the test binaries that reach into storage; the others leave it unused.
#[allow(unused_imports)]
pub(crate) use with_pool;

/// Runs one statement on the role's database (tests that tamper with storage on purpose).
pub async fn execute(harness: &Harness, sql: &'static str, binds: &[&[u8]], tenant: &str) {
    with_pool!(harness, |pool| {
        let mut query = sqlx::query(sql);
        for bind in binds {
            query = query.bind(bind.to_vec());
        }
        query
            .bind(tenant.to_owned())
            .execute(pool)
            .await
            .expect("statement");
    })
}
