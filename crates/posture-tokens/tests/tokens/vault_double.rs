//! A small VaultService served over a real gRPC socket that hands out the simulator tenants'
//! credentials. It is a test double of the credentials role's API (that role is built and tested
//! in its own crate); it records every access and every health result so tests can check what the
//! broker asked for and reported.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use posture_kit::config::GrpcConfig;
use posture_kit::grpc::GrpcServer;
use posture_kit::tls::{InternalTls, PeerIdentity, peer_identity};
use posture_proto::internal::v1::vault_service_server::{VaultService, VaultServiceServer};
use posture_proto::internal::v1::{
    GetConnectionSecretRequest, GetConnectionSecretResponse, RecordHealthRequest, RecordHealthResponse,
};
use posture_proto::v1::{self, ClientSecretCredential, Credential, CredentialAccessPurpose, credential};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

/// One stored connection.
#[derive(Clone)]
pub struct StoredConnection {
    pub client_id: String,
    pub secret: String,
    pub version: u64,
    /// The simulator's base URL: endpoints are `{base}login`, `{base}graph`, ...
    pub base_url: url::Url,
}

#[derive(Debug, Clone)]
pub struct Access {
    pub tenant: String,
    pub purpose: CredentialAccessPurpose,
    pub caller: String,
}

#[derive(Default)]
struct State {
    connections: HashMap<String, StoredConnection>,
    accesses: Vec<Access>,
    health: Vec<RecordHealthRequest>,
}

#[derive(Clone, Default)]
pub struct VaultDouble {
    state: Arc<Mutex<State>>,
}

impl VaultDouble {
    pub fn put(&self, tenant: &str, connection: StoredConnection) {
        self.lock().connections.insert(tenant.to_owned(), connection);
    }

    pub fn accesses(&self) -> Vec<Access> {
        self.lock().accesses.clone()
    }

    pub fn recorded_health(&self) -> Vec<RecordHealthRequest> {
        self.lock().health.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Serves the double on a loopback port until `shutdown`, over mutual TLS as the credentials
    /// role does.
    pub async fn serve(&self, tls: &InternalTls, shutdown: CancellationToken) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let server = GrpcServer::new(&GrpcConfig::default())
            .internal_tls(tls)
            .add_service(VaultServiceServer::new(self.clone()));
        tokio::spawn(async move {
            let _ = server.serve(listener, shutdown).await;
        });
        addr
    }
}

#[tonic::async_trait]
impl VaultService for VaultDouble {
    async fn get_connection_secret(
        &self,
        request: Request<GetConnectionSecretRequest>,
    ) -> Result<Response<GetConnectionSecretResponse>, Status> {
        let caller = peer_identity(&request).map(PeerIdentity::name);
        let request = request.into_inner();
        let purpose = CredentialAccessPurpose::try_from(request.purpose)
            .map_err(|_| Status::invalid_argument("unknown purpose"))?;
        if purpose == CredentialAccessPurpose::Unspecified {
            return Err(Status::invalid_argument("purpose must be set"));
        }
        let Some(caller) = caller.filter(|caller| caller == "tokens") else {
            return Err(Status::permission_denied("only the tokens role may read secrets"));
        };
        let mut state = self.lock();
        state.accesses.push(Access {
            tenant: request.tenant_id.clone(),
            purpose,
            caller,
        });
        let stored = state
            .connections
            .get(&request.tenant_id)
            .cloned()
            .ok_or_else(|| Status::not_found(format!("tenant `{}` not found", request.tenant_id)))?;
        let base = stored.base_url.as_str().trim_end_matches('/');
        Ok(Response::new(GetConnectionSecretResponse {
            client_id: stored.client_id,
            cloud: v1::Cloud::Custom as i32,
            endpoints: Some(v1::CloudEndpoints {
                authority_url: format!("{base}/login"),
                graph_url: format!("{base}/graph"),
                defender_url: format!("{base}/mde"),
                management_activity_url: format!("{base}/manage"),
                exchange_url: format!("{base}/exo"),
            }),
            credential: Some(Credential {
                kind: Some(credential::Kind::ClientSecret(ClientSecretCredential {
                    secret_value: stored.secret,
                    expires_at: None,
                })),
            }),
            credential_version: stored.version,
            expires_at: None,
        }))
    }

    async fn record_health(
        &self,
        request: Request<RecordHealthRequest>,
    ) -> Result<Response<RecordHealthResponse>, Status> {
        let request = request.into_inner();
        let mut state = self.lock();
        let current = state
            .connections
            .get(&request.tenant_id)
            .map(|c| c.version)
            .ok_or_else(|| Status::not_found("tenant not found"))?;
        let recorded = request.credential_version >= current;
        state.health.push(request);
        Ok(Response::new(RecordHealthResponse { recorded }))
    }
}
