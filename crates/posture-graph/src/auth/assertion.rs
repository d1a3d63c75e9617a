//! Certificate credentials: the signed client assertion (RS256 JWT with `x5t`) the identity
//! platform accepts instead of a client secret. Signed with `ring` (RSASSA-PKCS1-v1_5 with
//! SHA-256), whose RSA is constant-time; the `rsa` crate is not used here because of its Marvin
//! timing side channel (RUSTSEC-2023-0071).

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use secrecy::{ExposeSecret, SecretString};
use sha1::{Digest, Sha1};

use crate::error::GraphError;

/// How long an assertion is valid; Entra recommends 5–10 minutes.
pub const ASSERTION_LIFETIME_SECS: i64 = 600;

/// A certificate registered on the app plus its private key. `Debug` shows only the thumbprint.
#[derive(Clone)]
pub struct CertificateCredential {
    thumbprint_x5t: String,
    // Shared: the key is large and credentials are cloned into every acquirer.
    signing_key: Arc<RsaKeyPair>,
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
    pub fn new(certificate_der: &[u8], key: RsaKeyPair) -> Self {
        CertificateCredential {
            thumbprint_x5t: x5t(certificate_der),
            signing_key: Arc::new(key),
        }
    }

    /// From a PEM certificate and a PEM private key (PKCS#8 `PRIVATE KEY` or PKCS#1
    /// `RSA PRIVATE KEY`, at least 2048 bits). Errors never quote the key.
    pub fn from_pem(certificate_pem: &str, key_pem: &SecretString) -> Result<Self, GraphError> {
        let certificate = CertificateDer::from_pem_slice(certificate_pem.trim().as_bytes())
            .map_err(|_| config("certificate PEM is unreadable: expected a CERTIFICATE block"))?;
        let key = match PrivateKeyDer::from_pem_slice(key_pem.expose_secret().trim().as_bytes()) {
            Ok(PrivateKeyDer::Pkcs8(der)) => RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()),
            Ok(PrivateKeyDer::Pkcs1(der)) => RsaKeyPair::from_der(der.secret_pkcs1_der()),
            _ => {
                return Err(config(
                    "private key PEM is not an RSA key in PKCS#8 or PKCS#1 form",
                ));
            }
        }
        // The rejection reason names only a property (e.g. "TooSmall"), never key material.
        .map_err(|e| config(format!("private key is not a usable RSA key ({e})")))?;
        Ok(Self::new(&certificate, key))
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
        let mut signature = vec![0; self.signing_key.public().modulus_len()];
        self.signing_key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| config("signing the client assertion failed"))?;
        let jwt = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature));
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
    // Tests only: `rsa` generates throwaway keys and verifies signatures independently of `ring`.
    use rsa::RsaPrivateKey;
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    use rsa::signature::Verifier;
    use sha2::Sha256;

    fn decode(part: &str) -> serde_json::Value {
        let bytes = URL_SAFE_NO_PAD.decode(part).unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or_default()
    }

    fn key_pair(key: &RsaPrivateKey) -> RsaKeyPair {
        let der = key.to_pkcs8_der().expect("pkcs8 der");
        RsaKeyPair::from_pkcs8(der.as_bytes()).expect("ring accepts the key")
    }

    #[test]
    fn assertion_is_a_verifiable_rs256_jwt_with_short_lifetime() -> Result<(), Box<dyn std::error::Error>> {
        let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048)?;
        let public = key.to_public_key();
        let fake_der = b"not a real certificate but hashed the same way";
        let cred = CertificateCredential::new(fake_der, key_pair(&key));
        let now = Utc::now();
        let jwt = cred.client_assertion("app-1", "https://login.example/t1/oauth2/v2.0/token", now)?;
        let parts: Vec<&str> = jwt.expose_secret().split('.').collect();
        assert_eq!(parts.len(), 3);

        let header = decode(parts[0]);
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["typ"], "JWT");
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

        let raw = URL_SAFE_NO_PAD.decode(parts[2])?;
        assert_eq!(raw.len(), 256, "a 2048-bit signature, unpadded base64url");
        let sig = Signature::try_from(raw.as_slice())?;
        VerifyingKey::<Sha256>::new(public).verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)?;
        Ok(())
    }

    #[test]
    fn pkcs1_and_pkcs8_key_pems_both_sign_and_short_keys_are_refused()
    -> Result<(), Box<dyn std::error::Error>> {
        let cert_pem = "-----BEGIN CERTIFICATE-----\nAQIDBA==\n-----END CERTIFICATE-----\n";
        let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048)?;
        let pkcs8 = SecretString::from(key.to_pkcs8_pem(LineEnding::LF)?.to_string());
        let pkcs1 = SecretString::from(key.to_pkcs1_pem(LineEnding::LF)?.to_string());
        for pem in [&pkcs8, &pkcs1] {
            let cred = CertificateCredential::from_pem(cert_pem, pem)?;
            assert_eq!(cred.x5t(), x5t(&[1, 2, 3, 4]));
            cred.client_assertion("app", "https://login.example/t/token", Utc::now())?;
        }

        let short = RsaPrivateKey::new(&mut rand::thread_rng(), 1024)?;
        let short_pem = short.to_pkcs8_pem(LineEnding::LF)?;
        let err = CertificateCredential::from_pem(cert_pem, &SecretString::from(short_pem.to_string()))
            .expect_err("ring signs only with keys of 2048 bits or more");
        assert!(
            !err.to_string().contains(short_pem.lines().nth(1).unwrap_or("-")),
            "{err}"
        );
        assert!(CertificateCredential::from_pem("not pem", &pkcs8).is_err());
        assert!(CertificateCredential::from_pem(cert_pem, &SecretString::from(cert_pem.to_owned())).is_err());
        Ok(())
    }

    #[test]
    fn debug_never_shows_the_key() -> Result<(), Box<dyn std::error::Error>> {
        let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048)?;
        let cred = CertificateCredential::new(b"der", key_pair(&key));
        let shown = format!("{cred:?}");
        assert!(shown.contains("[redacted]") && shown.contains(cred.x5t()));
        Ok(())
    }
}
