//! Hand-written `Debug` for the generated messages that carry secret material (the list is in
//! `build.rs`), so a secret cannot reach a log line or an error through `{:?}`.

use std::fmt;

use crate::internal::v1::{GetTokenResponse, GetWebhookSecretResponse, PutWebhookSecretRequest};
use crate::v1::{
    CertificateCredential, ClientSecretCredential, CreateApiKeyResponse, CreateSubscriptionResponse,
};

/// What a redacted field shows: whether a value is present, never the value.
fn redacted(value: &str) -> &'static str {
    if value.is_empty() { "[empty]" } else { "[redacted]" }
}

impl fmt::Debug for ClientSecretCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecretCredential")
            .field("secret_value", &redacted(&self.secret_value))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl fmt::Debug for CertificateCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The certificate is public; its length is enough to tell inputs apart in a log.
        f.debug_struct("CertificateCredential")
            .field("certificate_pem_len", &self.certificate_pem.len())
            .field("private_key_pem", &redacted(&self.private_key_pem))
            .finish()
    }
}

impl fmt::Debug for CreateApiKeyResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateApiKeyResponse")
            .field("api_key", &self.api_key)
            .field("key", &redacted(&self.key))
            .finish()
    }
}

impl fmt::Debug for GetTokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetTokenResponse")
            .field("access_token", &redacted(&self.access_token))
            .field("expires_at", &self.expires_at)
            .field("roles", &self.roles)
            .field("credential_version", &self.credential_version)
            .finish()
    }
}

impl fmt::Debug for CreateSubscriptionResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateSubscriptionResponse")
            .field("subscription", &self.subscription)
            .field("secret", &redacted(&self.secret))
            .finish()
    }
}

impl fmt::Debug for PutWebhookSecretRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PutWebhookSecretRequest")
            .field("subscription_id", &self.subscription_id)
            .field("secret", &redacted(&self.secret))
            .finish()
    }
}

impl fmt::Debug for GetWebhookSecretResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetWebhookSecretResponse")
            .field("secret", &redacted(&self.secret))
            .finish()
    }
}
