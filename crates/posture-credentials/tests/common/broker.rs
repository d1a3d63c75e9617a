//! A stand-in token broker served over a real socket. Its connection test does what the real
//! broker's does at the vault's side of the wire: it fetches the secret through VaultService
//! (caller `tokens`, purpose CONNECTION_TEST), judges it (only `SECRET` is accepted, the way the
//! token endpoint accepts only the registered secret) and reports the health with RecordHealth.

use posture_kit::config::GrpcConfig;
use posture_kit::grpc::GrpcServer;
use posture_proto::internal::v1::token_broker_service_server::{
    TokenBrokerService, TokenBrokerServiceServer,
};
use posture_proto::internal::v1::vault_service_client::VaultServiceClient;
use posture_proto::internal::v1::{
    GetConnectionSecretRequest, GetTokenRequest, GetTokenResponse, InvalidateTokensRequest,
    InvalidateTokensResponse, RecordHealthRequest, TestConnectionRequest, TestConnectionResponse,
};
use posture_proto::v1::credential::Kind;
use posture_proto::v1::{
    ConnectionHealth, ConnectionState, CredentialAccessPurpose, ErrorClass, FailureReason,
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

use super::{SECRET, start_time, timestamp};

struct Broker {
    vault: Channel,
}

#[tonic::async_trait]
impl TokenBrokerService for Broker {
    async fn get_token(&self, _: Request<GetTokenRequest>) -> Result<Response<GetTokenResponse>, Status> {
        Err(Status::unimplemented(
            "the stand-in broker only tests connections",
        ))
    }

    async fn test_connection(
        &self,
        request: Request<TestConnectionRequest>,
    ) -> Result<Response<TestConnectionResponse>, Status> {
        let tenant_id = request.into_inner().tenant_id;
        let mut vault = VaultServiceClient::new(self.vault.clone());
        let secret = vault
            .get_connection_secret(GetConnectionSecretRequest {
                tenant_id: tenant_id.clone(),
                purpose: CredentialAccessPurpose::ConnectionTest as i32,
            })
            .await?
            .into_inner();
        let accepted = matches!(
            secret.credential.and_then(|c| c.kind),
            Some(Kind::ClientSecret(s)) if s.secret_value == SECRET
        );
        let health = if accepted {
            ConnectionHealth {
                state: ConnectionState::Connected as i32,
                checked_at: Some(timestamp(start_time())),
                ..Default::default()
            }
        } else {
            ConnectionHealth {
                state: ConnectionState::AuthenticationError as i32,
                reason: Some(FailureReason {
                    error_class: ErrorClass::Authentication as i32,
                    code: "AADSTS7000215".to_owned(),
                    message: "Invalid client secret provided.".to_owned(),
                    http_status: 401,
                    ..Default::default()
                }),
                checked_at: Some(timestamp(start_time())),
                ..Default::default()
            }
        };
        vault
            .record_health(RecordHealthRequest {
                tenant_id,
                health: Some(health.clone()),
                credential_version: secret.credential_version,
            })
            .await?;
        Ok(Response::new(TestConnectionResponse {
            health: Some(health),
            credential_version: secret.credential_version,
        }))
    }

    async fn invalidate_tokens(
        &self,
        _: Request<InvalidateTokensRequest>,
    ) -> Result<Response<InvalidateTokensResponse>, Status> {
        Ok(Response::new(InvalidateTokensResponse { invalidated: 0 }))
    }
}

/// Serves the broker on 127.0.0.1:0 and returns its address.
pub async fn start(vault: Channel, shutdown: CancellationToken) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind broker");
    let address = format!("http://{}", listener.local_addr().expect("broker address"));
    let server =
        GrpcServer::new(&GrpcConfig::default()).add_service(TokenBrokerServiceServer::new(Broker { vault }));
    tokio::spawn(server.serve(listener, shutdown));
    address
}
