//! An issued access token: the secret value, when it expires (from `expires_in`, never assumed),
//! and the application permissions in its `roles` claim, decoded without verifying the signature
//! (the resource verifies it; the client only needs to know what was granted).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::cloud::Resource;

#[derive(Debug, Clone)]
pub struct AccessToken {
    value: SecretString,
    resource: Resource,
    expires_at: DateTime<Utc>,
    roles: Vec<String>,
    tenant_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Claims {
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    tid: Option<String>,
}

impl AccessToken {
    /// A token issued at `issued_at` with the authority's `expires_in`.
    pub fn new(
        value: SecretString,
        resource: Resource,
        expires_in: Duration,
        issued_at: DateTime<Utc>,
    ) -> AccessToken {
        let claims = decode_claims(value.expose_secret()).unwrap_or_default();
        let lifetime = chrono::Duration::from_std(expires_in).unwrap_or(chrono::Duration::zero());
        AccessToken {
            value,
            resource,
            expires_at: issued_at + lifetime,
            roles: claims.roles,
            tenant_id: claims.tid,
        }
    }

    pub fn secret(&self) -> &SecretString {
        &self.value
    }

    pub fn resource(&self) -> Resource {
        self.resource
    }

    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
    }

    /// Application permissions granted (the `roles` claim); empty when the app has no consent.
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    pub fn has_role(&self, permission: &str) -> bool {
        self.roles.iter().any(|r| r.eq_ignore_ascii_case(permission))
    }

    /// The `tid` claim, when the token is a readable JWT.
    pub fn tenant_id(&self) -> Option<&str> {
        self.tenant_id.as_deref()
    }
}

fn decode_claims(jwt: &str) -> Option<Claims> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: serde_json::Value) -> SecretString {
        let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
        let c = URL_SAFE_NO_PAD.encode(claims.to_string());
        SecretString::from(format!("{h}.{c}.c2ln"))
    }

    #[test]
    fn roles_and_expiry_come_from_the_token_and_expires_in() {
        let now = Utc::now();
        let t = AccessToken::new(
            jwt(serde_json::json!({"roles":["User.Read.All","Policy.Read.All"],"tid":"t-1"})),
            Resource::Graph,
            Duration::from_secs(4321),
            now,
        );
        assert!(t.has_role("user.read.all"));
        assert!(!t.has_role("AuditLog.Read.All"));
        assert_eq!(t.tenant_id(), Some("t-1"));
        assert_eq!((t.expires_at() - now).num_seconds(), 4321);
        assert!(!t.is_expired_at(now));
    }

    #[test]
    fn tokens_without_roles_or_not_jwt_have_no_roles() {
        let t = AccessToken::new(
            jwt(serde_json::json!({"tid":"t"})),
            Resource::Graph,
            Duration::from_secs(60),
            Utc::now(),
        );
        assert!(t.roles().is_empty());
        let opaque = AccessToken::new(
            SecretString::from("opaque"),
            Resource::Graph,
            Duration::ZERO,
            Utc::now(),
        );
        assert!(opaque.roles().is_empty());
    }

    #[test]
    fn debug_redacts_the_token_value() {
        let t = AccessToken::new(
            SecretString::from("eyJ.secret-token.sig"),
            Resource::Graph,
            Duration::from_secs(1),
            Utc::now(),
        );
        let shown = format!("{t:?}");
        assert!(!shown.contains("secret-token"));
    }
}
