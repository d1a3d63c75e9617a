//! posture-graph's `TokenSource` backed by the token broker over gRPC: what the sync workers hand
//! to their `GraphClient`, so every request of every worker shares the broker's cached tokens.

use async_trait::async_trait;
use chrono::Utc;
use posture_graph::{AccessToken, GraphError, Resource, TokenSource};
use posture_kit::time::from_optional_timestamp;
use posture_proto::internal::v1::GetTokenRequest;
use posture_proto::internal::v1::token_broker_service_client::TokenBrokerServiceClient;
use secrecy::SecretString;
use tonic::Code;
use tonic::transport::Channel;

use crate::key::resource_to_proto;

#[derive(Debug, Clone)]
pub struct BrokerTokenSource {
    client: TokenBrokerServiceClient<Channel>,
    tenant: String,
    min_valid_seconds: u32,
}

impl BrokerTokenSource {
    pub fn new(channel: Channel, tenant: impl Into<String>) -> BrokerTokenSource {
        BrokerTokenSource {
            client: TokenBrokerServiceClient::new(channel),
            tenant: tenant.into(),
            min_valid_seconds: 0,
        }
    }

    /// Ask for tokens with at least this much life left (e.g. for a long page stream).
    pub fn with_min_valid_seconds(mut self, seconds: u32) -> BrokerTokenSource {
        self.min_valid_seconds = seconds;
        self
    }
}

#[async_trait]
impl TokenSource for BrokerTokenSource {
    async fn token(&self, resource: Resource) -> Result<AccessToken, GraphError> {
        let response = self
            .client
            .clone()
            .get_token(GetTokenRequest {
                tenant_id: self.tenant.clone(),
                resource: resource_to_proto(resource) as i32,
                min_valid_seconds: self.min_valid_seconds,
            })
            .await
            .map_err(|status| broker_failure(&self.tenant, status))?
            .into_inner();
        let now = Utc::now();
        let expires_at = from_optional_timestamp("expires_at", response.expires_at.as_ref())
            .ok()
            .flatten()
            .ok_or_else(|| GraphError::BadResponse {
                endpoint: format!("token broker for tenant {}", self.tenant),
                reason: "the broker sent a token without a valid expires_at".to_owned(),
                ids: Default::default(),
            })?;
        let remaining = (expires_at - now).to_std().unwrap_or_default();
        Ok(AccessToken::new(
            SecretString::from(response.access_token),
            resource,
            remaining,
            now,
        ))
    }
}

/// The broker's refusals keep their meaning for posture-graph's health mapping: a refused
/// credential is an authentication error, anything else a transient one.
fn broker_failure(tenant: &str, status: tonic::Status) -> GraphError {
    match status.code() {
        Code::FailedPrecondition | Code::NotFound | Code::PermissionDenied => GraphError::Authentication {
            tenant: tenant.to_owned(),
            aadsts: aadsts_in(status.message()),
            error: format!("{:?}", status.code()),
            meaning: status.message().to_owned(),
        },
        Code::InvalidArgument => GraphError::Config {
            reason: status.message().to_owned(),
        },
        code => GraphError::Transient {
            endpoint: format!("token broker for tenant {tenant}"),
            reason: format!("{code:?}: {}", status.message()),
            attempts: 1,
            ids: Default::default(),
        },
    }
}

fn aadsts_in(message: &str) -> Option<u32> {
    let rest = &message[message.find("AADSTS")? + 6..];
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}
