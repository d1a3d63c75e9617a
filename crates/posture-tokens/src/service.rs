//! `posture.internal.v1.TokenBrokerService`: validates each request at the edge and hands it to
//! the broker or the connection tester.

use std::time::Duration;

use posture_kit::ids::TenantId;
use posture_kit::time::timestamp;
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
use crate::key::{TokenKey, resource_from_proto};

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

/// Every refusal goes through the role's one error mapping (`TokensError` -> `ServiceError`).
fn status(error: &TokensError) -> Status {
    Status::from(error)
}

/// The tenant a request names, parsed at the edge.
fn requested_tenant(raw: &str) -> Result<TenantId, Status> {
    raw.parse::<TenantId>().map_err(|e| status(&TokensError::from(e)))
}

#[tonic::async_trait]
impl TokenBrokerService for TokenBrokerApi {
    async fn get_token(
        &self,
        request: Request<GetTokenRequest>,
    ) -> Result<Response<GetTokenResponse>, Status> {
        let request = request.into_inner();
        let tenant = requested_tenant(&request.tenant_id)?;
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
        let tenant = requested_tenant(&request.into_inner().tenant_id)?;
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
        let tenant = requested_tenant(&request.into_inner().tenant_id)?;
        let invalidated = self.broker.invalidate(&tenant).await.map_err(|e| status(&e))?;
        Ok(Response::new(InvalidateTokensResponse { invalidated }))
    }
}
