//! [`WebhookSecrets`] over the credentials role's internal WebhookSecretService: the scheduler
//! never stores a signing secret itself.

use async_trait::async_trait;
use posture_proto::internal::v1::webhook_secret_service_client::WebhookSecretServiceClient;
use posture_proto::internal::v1::{
    DeleteWebhookSecretRequest, GetWebhookSecretRequest, PutWebhookSecretRequest,
};
use tonic::transport::Channel;
use uuid::Uuid;

use super::deliver::{SecretError, WebhookSecrets};
use super::signing::SigningSecret;

/// The vault's webhook secrets, over a channel to the credentials role.
#[derive(Clone)]
pub struct VaultSecrets {
    channel: Channel,
}

impl VaultSecrets {
    pub fn new(channel: Channel) -> Self {
        Self { channel }
    }
}

fn failure(subscription_id: Uuid, status: &tonic::Status) -> SecretError {
    SecretError {
        subscription_id,
        // The vault's message names ids and causes, never the secret.
        reason: format!("{:?}: {}", status.code(), status.message()),
        missing: status.code() == tonic::Code::NotFound,
    }
}

#[async_trait]
impl WebhookSecrets for VaultSecrets {
    async fn put(&self, subscription_id: Uuid, secret: &str) -> Result<(), SecretError> {
        WebhookSecretServiceClient::new(self.channel.clone())
            .put_webhook_secret(PutWebhookSecretRequest {
                subscription_id: subscription_id.to_string(),
                secret: secret.to_owned(),
            })
            .await
            .map(drop)
            .map_err(|status| failure(subscription_id, &status))
    }

    async fn get(&self, subscription_id: Uuid) -> Result<SigningSecret, SecretError> {
        let response = WebhookSecretServiceClient::new(self.channel.clone())
            .get_webhook_secret(GetWebhookSecretRequest {
                subscription_id: subscription_id.to_string(),
            })
            .await
            .map_err(|status| failure(subscription_id, &status))?;
        SigningSecret::parse(&response.into_inner().secret).map_err(|e| SecretError {
            subscription_id,
            reason: e.to_string(),
            missing: false,
        })
    }

    async fn delete(&self, subscription_id: Uuid) -> Result<(), SecretError> {
        WebhookSecretServiceClient::new(self.channel.clone())
            .delete_webhook_secret(DeleteWebhookSecretRequest {
                subscription_id: subscription_id.to_string(),
            })
            .await
            .map(drop)
            .map_err(|status| failure(subscription_id, &status))
    }
}
