//! Access tokens for a tenant's Graph client, from the token broker over its internal gRPC
//! contract (`posture.internal.v1.TokenBrokerService`). Every worker asks the broker, so every
//! request of every worker shares the broker's cached tokens; this crate needs only the contract,
//! not the tokens role.

use async_trait::async_trait;
use chrono::Utc;
use posture_graph::{AccessToken, GraphError, Resource, TokenSource};
use posture_kit::ids::TenantId;
use posture_proto::internal::v1::GetTokenRequest;
use posture_proto::internal::v1::token_broker_service_client::TokenBrokerServiceClient;
use posture_proto::v1::ApiResource;
use secrecy::SecretString;
use tonic::Code;
use tonic::transport::Channel;

/// posture-graph's `TokenSource` for one tenant, answered by the token broker.
#[derive(Debug, Clone)]
pub struct BrokerTokenSource {
    client: TokenBrokerServiceClient<Channel>,
    tenant: TenantId,
    min_valid_seconds: u32,
}

impl BrokerTokenSource {
    pub fn new(channel: Channel, tenant: TenantId) -> BrokerTokenSource {
        BrokerTokenSource {
            client: TokenBrokerServiceClient::new(channel),
            tenant,
            min_valid_seconds: 0,
        }
    }

    /// Ask for tokens with at least this much life left (e.g. for a long page stream).
    pub fn with_min_valid_seconds(mut self, seconds: u32) -> BrokerTokenSource {
        self.min_valid_seconds = seconds;
        self
    }

    fn broker(&self) -> String {
        format!("token broker for tenant {}", self.tenant)
    }
}

fn resource(resource: Resource) -> ApiResource {
    match resource {
        Resource::Graph => ApiResource::Graph,
        Resource::DefenderForEndpoint => ApiResource::Defender,
        Resource::ManagementActivity => ApiResource::ManagementActivity,
        Resource::ExchangeOnline => ApiResource::ExchangeOnline,
    }
}

#[async_trait]
impl TokenSource for BrokerTokenSource {
    async fn token(&self, wanted: Resource) -> Result<AccessToken, GraphError> {
        let response = self
            .client
            .clone()
            .get_token(GetTokenRequest {
                tenant_id: self.tenant.to_string(),
                resource: resource(wanted) as i32,
                min_valid_seconds: self.min_valid_seconds,
            })
            .await
            .map_err(|status| broker_failure(&self.tenant, status))?
            .into_inner();
        let bad_response = |reason: String| GraphError::BadResponse {
            endpoint: self.broker(),
            reason,
            ids: Default::default(),
        };
        let expires_at = response
            .expires_at
            .ok_or_else(|| bad_response("the broker sent a token without expires_at".to_owned()))?;
        let expires_at = posture_kit::time::from_timestamp("expires_at", &expires_at)
            .map_err(|e| bad_response(e.to_string()))?;
        let now = Utc::now();
        let remaining = (expires_at - now).to_std().unwrap_or_default();
        Ok(AccessToken::new(
            SecretString::from(response.access_token),
            wanted,
            remaining,
            now,
        ))
    }
}

/// The broker's refusals keep their meaning for posture-graph's health mapping: a refused
/// credential is an authentication error, anything else a transient one.
fn broker_failure(tenant: &TenantId, status: tonic::Status) -> GraphError {
    match status.code() {
        Code::FailedPrecondition | Code::NotFound | Code::PermissionDenied => GraphError::Authentication {
            tenant: tenant.to_string(),
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

/// The AADSTS code a refusal message names, e.g. `AADSTS7000215: Invalid client secret`.
fn aadsts_in(message: &str) -> Option<u32> {
    let rest = &message[message.find("AADSTS")? + 6..];
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_credential_is_an_authentication_error_with_its_aadsts_code() {
        let tenant = TenantId::new_random();
        let refused = tonic::Status::failed_precondition("AADSTS7000215: Invalid client secret provided");
        match broker_failure(&tenant, refused) {
            GraphError::Authentication { aadsts, .. } => assert_eq!(aadsts, Some(7_000_215)),
            other => panic!("expected an authentication error, got {other:?}"),
        }
        let down = broker_failure(&tenant, tonic::Status::unavailable("connection refused"));
        assert!(matches!(down, GraphError::Transient { .. }), "{down:?}");
    }
}
