//! `posture.internal.v1.WebhookSecretService`: the scheduler's notification subscriptions keep
//! their signing secrets here, sealed with the vault's keyring, instead of in their own schema.
//! Only the scheduler role may call it (the internal server's policy, checked again here so the
//! service stays closed on a server mounted without the policy).

use std::sync::Arc;

use posture_kit::ServiceRole;
use posture_kit::tls::peer_identity;
use posture_proto::internal::v1::webhook_secret_service_server::WebhookSecretService;
use posture_proto::internal::v1::{
    DeleteWebhookSecretRequest, DeleteWebhookSecretResponse, GetWebhookSecretRequest,
    GetWebhookSecretResponse, PutWebhookSecretRequest, PutWebhookSecretResponse,
};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::core::Core;
use crate::envelope::{WebhookBinding, open, seal};
use crate::error::CredentialsError;

/// Longest secret accepted (`whsec_` and the base64 of up to 64 bytes, with room to spare).
const MAX_SECRET_LEN: usize = 128;

/// The internal webhook secret service; cheap to clone.
#[derive(Clone)]
pub struct WebhookSecretApi {
    pub(crate) core: Arc<Core>,
}

fn subscription_id(value: &str) -> Result<Uuid, CredentialsError> {
    Uuid::parse_str(value.trim()).map_err(|_| CredentialsError::invalid("subscription_id", "must be a UUID"))
}

/// Refuses every caller but the scheduler role, by its verified certificate.
fn require_scheduler<T>(request: &Request<T>) -> Result<(), CredentialsError> {
    let Some(peer) = peer_identity(request) else {
        return Err(CredentialsError::Unauthenticated {
            reason: "webhook secrets are given only to callers with a role certificate from the internal CA"
                .to_owned(),
        });
    };
    if peer.holds(ServiceRole::Scheduler) {
        Ok(())
    } else {
        Err(CredentialsError::PermissionDenied {
            reason: format!("the {peer} role may not use webhook secrets"),
        })
    }
}

#[tonic::async_trait]
impl WebhookSecretService for WebhookSecretApi {
    async fn put_webhook_secret(
        &self,
        request: Request<PutWebhookSecretRequest>,
    ) -> Result<Response<PutWebhookSecretResponse>, Status> {
        require_scheduler(&request)?;
        let request = request.into_inner();
        let subscription_id = subscription_id(&request.subscription_id)?;
        if !request.secret.starts_with("whsec_") || request.secret.len() > MAX_SECRET_LEN {
            return Err(CredentialsError::invalid(
                "secret",
                format!("must be `whsec_` and base64, at most {MAX_SECRET_LEN} characters"),
            )
            .into());
        }
        let sealed = seal(
            &self.core.keyring,
            WebhookBinding { subscription_id },
            request.secret.as_bytes(),
        )
        .map_err(CredentialsError::from)?;
        self.core
            .store
            .put_webhook_secret(subscription_id, &sealed)
            .await
            .map_err(CredentialsError::from)?;
        tracing::info!(%subscription_id, "webhook secret stored");
        Ok(Response::new(PutWebhookSecretResponse {}))
    }

    async fn get_webhook_secret(
        &self,
        request: Request<GetWebhookSecretRequest>,
    ) -> Result<Response<GetWebhookSecretResponse>, Status> {
        require_scheduler(&request)?;
        let subscription_id = subscription_id(&request.get_ref().subscription_id)?;
        let sealed = self
            .core
            .store
            .webhook_secret(subscription_id)
            .await
            .map_err(CredentialsError::from)?
            .ok_or_else(|| {
                Status::not_found(format!("no webhook secret for subscription {subscription_id}"))
            })?;
        let plaintext =
            open(&self.core.keyring, WebhookBinding { subscription_id }, &sealed).map_err(|error| {
                tracing::error!(%subscription_id, %error, "webhook secret cannot be decrypted");
                CredentialsError::from(error)
            })?;
        let secret = String::from_utf8(plaintext.to_vec()).map_err(|_| {
            Status::failed_precondition(
                "the stored webhook secret is not text; create the subscription again",
            )
        })?;
        Ok(Response::new(GetWebhookSecretResponse { secret }))
    }

    async fn delete_webhook_secret(
        &self,
        request: Request<DeleteWebhookSecretRequest>,
    ) -> Result<Response<DeleteWebhookSecretResponse>, Status> {
        require_scheduler(&request)?;
        let subscription_id = subscription_id(&request.get_ref().subscription_id)?;
        let removed = self
            .core
            .store
            .delete_webhook_secret(subscription_id)
            .await
            .map_err(CredentialsError::from)?;
        tracing::info!(%subscription_id, removed, "webhook secret removed");
        Ok(Response::new(DeleteWebhookSecretResponse {}))
    }
}
