//! `posture.internal.v1.TokenBrokerService`: validates each request at the edge and hands it to
//! the broker or the connection tester.

use std::time::Duration;

use posture_proto::internal::v1::token_broker_service_server::TokenBrokerService;
use posture_proto::internal::v1::{
    GetTokenRequest, GetTokenResponse, InvalidateTokensRequest, InvalidateTokensResponse,
    TestConnectionRequest, TestConnectionResponse,
};
use secrecy::ExposeSecret;
use tonic::{Request, Response, Status};

use crate::broker::TokenBroker;
use crate::connection_test::ConnectionTester;
use crate::error::TokensError;
use crate::key::{TenantId, TokenKey, resource_from_proto};

#[derive(Debug, Clone)]
pub struct TokenBrokerApi {
    broker: TokenBroker,
    tester: ConnectionTester,
}

impl TokenBrokerApi {
    pub fn new(broker: TokenBroker, tester: ConnectionTester) -> TokenBrokerApi {
        TokenBrokerApi { broker, tester }
    }
}

fn status(error: &TokensError) -> Status {
    Status::from(error)
}

fn timestamp(at: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

#[tonic::async_trait]
impl TokenBrokerService for TokenBrokerApi {
    async fn get_token(
        &self,
        request: Request<GetTokenRequest>,
    ) -> Result<Response<GetTokenResponse>, Status> {
        let request = request.into_inner();
        let tenant = TenantId::parse(&request.tenant_id).map_err(|e| status(&e))?;
        let resource = resource_from_proto(request.resource).map_err(|e| status(&e))?;
        let min_valid: Duration = self.broker.min_valid(request.min_valid_seconds);
        let token = self
            .broker
            .token(&TokenKey::new(tenant, resource), min_valid)
            .await
            .map_err(|e| status(&e))?;
        Ok(Response::new(GetTokenResponse {
            access_token: token.value.expose_secret().to_owned(),
            expires_at: Some(timestamp(token.expires_at)),
            roles: token.roles.clone(),
            credential_version: token.credential_version,
        }))
    }

    async fn test_connection(
        &self,
        request: Request<TestConnectionRequest>,
    ) -> Result<Response<TestConnectionResponse>, Status> {
        let tenant = TenantId::parse(&request.into_inner().tenant_id).map_err(|e| status(&e))?;
        let (health, credential_version) = self
            .tester
            .test_and_report(&tenant)
            .await
            .map_err(|e| status(&e))?;
        Ok(Response::new(TestConnectionResponse {
            health: Some(health),
            credential_version,
        }))
    }

    async fn invalidate_tokens(
        &self,
        request: Request<InvalidateTokensRequest>,
    ) -> Result<Response<InvalidateTokensResponse>, Status> {
        let tenant = TenantId::parse(&request.into_inner().tenant_id).map_err(|e| status(&e))?;
        let invalidated = self.broker.invalidate(&tenant).await.map_err(|e| status(&e))?;
        Ok(Response::new(InvalidateTokensResponse { invalidated }))
    }
}
