//! Certificate credentials: the signed client assertion (RS256 JWT with `x5t`) the identity
//! platform accepts instead of a client secret. Built directly on `rsa` and `sha2`.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rsa::RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use secrecy::{ExposeSecret, SecretString};
use sha1::{Digest, Sha1};
use sha2::Sha256;

use crate::error::GraphError;

/// How long an assertion is valid; Entra recommends 5–10 minutes.
pub const ASSERTION_LIFETIME_SECS: i64 = 600;

/// A certificate registered on the app plus its private key. `Debug` shows only the thumbprint.
#[derive(Clone)]
pub struct CertificateCredential {
    thumbprint_x5t: String,
    // Shared: the key is large and credentials are cloned into every acquirer.
    signing_key: std::sync::Arc<SigningKey<Sha256>>,
}

impl fmt::Debug for CertificateCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateCredential")
            .field("x5t", &self.thumbprint_x5t)
            .field("private_key", &"[redacted]")
            .finish()
    }
}

fn config(reason: impl Into<String>) -> GraphError {
    GraphError::Config {
        reason: reason.into(),
    }
}

impl CertificateCredential {
    /// From the DER certificate and its RSA private key.
    pub fn new(certificate_der: &[u8], key: RsaPrivateKey) -> Self {
        CertificateCredential {
            thumbprint_x5t: x5t(certificate_der),
            signing_key: std::sync::Arc::new(SigningKey::<Sha256>::new(key)),
        }
    }

    /// From a PEM certificate and a PEM private key (PKCS#8 `PRIVATE KEY` or PKCS#1
    /// `RSA PRIVATE KEY`). Errors never quote the key.
    pub fn from_pem(certificate_pem: &str, key_pem: &SecretString) -> Result<Self, GraphError> {
        let (label, der) = rsa::pkcs8::der::pem::decode_vec(certificate_pem.trim().as_bytes())
            .map_err(|e| config(format!("certificate PEM is unreadable: {e}")))?;
        if label != "CERTIFICATE" {
            return Err(config(format!("expected a CERTIFICATE PEM block, found {label}")));
        }
        let key_text = key_pem.expose_secret().trim();
        let key = RsaPrivateKey::from_pkcs8_pem(key_text)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(key_text))
            .map_err(|_| config("private key PEM is not an RSA key in PKCS#8 or PKCS#1 form"))?;
        Ok(Self::new(&der, key))
    }

    /// base64url SHA-1 thumbprint of the DER certificate, as sent in the JWT header.
    pub fn x5t(&self) -> &str {
        &self.thumbprint_x5t
    }

    /// A signed client assertion for `client_id` against `token_url`, valid from `now` for
    /// `ASSERTION_LIFETIME_SECS`.
    pub fn client_assertion(
        &self,
        client_id: &str,
        token_url: &str,
        now: DateTime<Utc>,
    ) -> Result<SecretString, GraphError> {
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": self.thumbprint_x5t});
        let issued = now.timestamp();
        let claims = serde_json::json!({
            "aud": token_url,
            "iss": client_id,
            "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": issued,
            "iat": issued,
            "exp": issued + ASSERTION_LIFETIME_SECS,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self
            .signing_key
            .try_sign(signing_input.as_bytes())
            .map_err(|e| config(format!("signing the client assertion failed: {e}")))?;
        let jwt = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()));
        Ok(SecretString::from(jwt))
    }
}

/// base64url (no padding) of the SHA-1 digest of a DER certificate.
pub fn x5t(certificate_der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha1::digest(certificate_der))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;

    fn decode(part: &str) -> serde_json::Value {
        let bytes = URL_SAFE_NO_PAD.decode(part).unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or_default()
    }

    #[test]
    fn assertion_is_a_verifiable_rs256_jwt_with_short_lifetime() -> Result<(), Box<dyn std::error::Error>> {
        let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048)?;
        let public = key.to_public_key();
        let fake_der = b"not a real certificate but hashed the same way";
        let cred = CertificateCredential::new(fake_der, key);
        let now = Utc::now();
        let jwt = cred.client_assertion("app-1", "https://login.example/t1/oauth2/v2.0/token", now)?;
        let parts: Vec<&str> = jwt.expose_secret().split('.').collect();
        assert_eq!(parts.len(), 3);

        let header = decode(parts[0]);
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["x5t"], URL_SAFE_NO_PAD.encode(Sha1::digest(fake_der)));
        let claims = decode(parts[1]);
        assert_eq!(claims["iss"], "app-1");
        assert_eq!(claims["sub"], "app-1");
        assert_eq!(claims["aud"], "https://login.example/t1/oauth2/v2.0/token");
        let (nbf, exp) = (
            claims["nbf"].as_i64().unwrap_or(0),
            claims["exp"].as_i64().unwrap_or(0),
        );
        assert!(exp > nbf && exp - nbf <= 600);
        assert!(uuid::Uuid::parse_str(claims["jti"].as_str().unwrap_or("")).is_ok());

        let sig = Signature::try_from(URL_SAFE_NO_PAD.decode(parts[2])?.as_slice())?;
        VerifyingKey::<Sha256>::new(public).verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)?;
        Ok(())
    }

    #[test]
    fn debug_never_shows_the_key() -> Result<(), Box<dyn std::error::Error>> {
        let key = RsaPrivateKey::new(&mut rand::thread_rng(), 1024)?;
        let cred = CertificateCredential::new(b"der", key);
        let shown = format!("{cred:?}");
        assert!(shown.contains("[redacted]") && shown.contains(cred.x5t()));
        Ok(())
    }
}
