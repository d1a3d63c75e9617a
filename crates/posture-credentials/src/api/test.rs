//! TestConnection: the test itself runs in the token broker (it holds the Microsoft clients); this
//! role forwards the request over the broker channel and stores the health it returns.

use posture_kit::trace_context::{MetadataCarrier, inject_into};
use posture_proto::internal::v1::TestConnectionRequest as BrokerTestRequest;
use posture_proto::internal::v1::token_broker_service_client::TokenBrokerServiceClient;
use posture_proto::v1::{TestConnectionRequest, TestConnectionResponse};

use super::vault::store_health;
use crate::core::Core;
use crate::error::CredentialsError;
use crate::health::connection_health;
use crate::validate;

pub(crate) async fn test_connection(
    core: &Core,
    request: &TestConnectionRequest,
) -> Result<TestConnectionResponse, CredentialsError> {
    let tenant_id = validate::tenant_id("tenant_id", &request.tenant_id)?;
    let current = core.existing(&tenant_id).await?;
    let channel = core.token_broker.clone().ok_or_else(|| CredentialsError::Unavailable {
        what: "connection testing".to_owned(),
        reason: "no token broker is configured for the credentials role (endpoints.tokens); start the tokens role or point the credentials role at it".to_owned(),
    })?;
    let mut broker_request = tonic::Request::new(BrokerTestRequest {
        tenant_id: tenant_id.to_string(),
    });
    inject_into(&mut MetadataCarrier(broker_request.metadata_mut()));
    let result = TokenBrokerServiceClient::new(channel)
        .test_connection(broker_request)
        .await
        .map_err(|status| {
            tracing::warn!(%tenant_id, code = ?status.code(), "token broker could not test the connection");
            match status.code() {
                tonic::Code::NotFound => CredentialsError::not_found(&tenant_id),
                // The broker could not test for a reason waiting does not fix (a stored secret
                // that does not decrypt, an unusable connection): passed on, not called unavailable.
                tonic::Code::FailedPrecondition => CredentialsError::TestRefused {
                    reason: status.message().to_owned(),
                },
                _ => CredentialsError::Unavailable {
                    what: "token broker".to_owned(),
                    reason: format!("{:?}: {}", status.code(), status.message()),
                },
            }
        })?
        .into_inner();
    let version = if result.credential_version == 0 {
        u64::try_from(current.credential_version).unwrap_or(0)
    } else {
        result.credential_version
    };
    let health = result.health.ok_or_else(|| CredentialsError::Unavailable {
        what: "token broker".to_owned(),
        reason: "it answered without a health result".to_owned(),
    })?;
    store_health(core, &tenant_id, Some(&health), version).await?;
    // What is stored is authoritative: a result for a credential replaced during the test was
    // ignored, and the stored health is the new credential's PENDING.
    let stored = core.existing(&tenant_id).await?;
    Ok(TestConnectionResponse {
        health: Some(connection_health(&stored.health)),
    })
}
