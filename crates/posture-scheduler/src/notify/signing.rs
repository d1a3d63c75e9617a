//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>): the secret is `whsec_` and
//! the base64 of the key; each attempt is signed as `v1,<base64 HMAC-SHA256(key,
//! "{id}.{timestamp}.{body}")>`, so any receiver with a Standard Webhooks library verifies what
//! Posture sends. Verification is here too, for receivers written in Rust and for the tests.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use zeroize::Zeroizing;

/// The prefix of a secret in its text form.
pub const SECRET_PREFIX: &str = "whsec_";
/// Bytes of key in a generated secret (the specification asks for 24 to 64).
const GENERATED_KEY_LEN: usize = 32;
/// Longest key accepted when parsing.
const MAX_KEY_LEN: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signing secret is not `whsec_` followed by base64 of 24 to 64 bytes")]
    MalformedSecret,
    #[error("the webhook-timestamp header is not a Unix time in seconds")]
    MalformedTimestamp,
    #[error("the webhook-timestamp is more than {tolerance_secs} s away from now")]
    OutsideTolerance { tolerance_secs: i64 },
    #[error("no v1 signature in webhook-signature matches the message")]
    NoMatch,
}

/// A signing key. Its Debug output is redacted and its bytes are wiped on drop.
#[derive(Clone)]
pub struct SigningSecret {
    key: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret([redacted])")
    }
}

impl SigningSecret {
    /// A fresh random secret and its text form (`whsec_...`), the only time the text exists
    /// outside the vault.
    pub fn generate() -> (Self, Zeroizing<String>) {
        let mut key = Zeroizing::new(vec![0u8; GENERATED_KEY_LEN]);
        rand::rngs::OsRng.fill_bytes(&mut key);
        let text = Zeroizing::new(format!("{SECRET_PREFIX}{}", STANDARD.encode(key.as_slice())));
        (Self { key }, text)
    }

    /// Reads `whsec_<base64>`.
    pub fn parse(text: &str) -> Result<Self, SignatureError> {
        let encoded = text
            .strip_prefix(SECRET_PREFIX)
            .ok_or(SignatureError::MalformedSecret)?;
        let key = Zeroizing::new(
            STANDARD
                .decode(encoded)
                .map_err(|_| SignatureError::MalformedSecret)?,
        );
        if !(24..=MAX_KEY_LEN).contains(&key.len()) {
            return Err(SignatureError::MalformedSecret);
        }
        Ok(Self { key })
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        // HMAC takes keys of any length; this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!());
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` header value for one attempt.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.mac(id, timestamp, body).finalize().into_bytes();
        format!("v1,{}", STANDARD.encode(tag))
    }

    /// Checks a received message the way the specification's receivers do: the timestamp within
    /// `tolerance_secs` of `now`, and one of the space-separated `v1,` signatures matching
    /// (compared in constant time).
    pub fn verify(
        &self,
        id: &str,
        timestamp: &str,
        signatures: &str,
        body: &[u8],
        now: i64,
        tolerance_secs: i64,
    ) -> Result<(), SignatureError> {
        let timestamp: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| SignatureError::MalformedTimestamp)?;
        if (now - timestamp).abs() > tolerance_secs {
            return Err(SignatureError::OutsideTolerance { tolerance_secs });
        }
        for candidate in signatures.split(' ') {
            let Some(encoded) = candidate.strip_prefix("v1,") else {
                continue;
            };
            let Ok(tag) = STANDARD.decode(encoded) else {
                continue;
            };
            if self.mac(id, timestamp, body).verify_slice(&tag).is_ok() {
                return Ok(());
            }
        }
        Err(SignatureError::NoMatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The test vector published with the Standard Webhooks reference libraries.
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TIMESTAMP: i64 = 1_614_265_330;
    const SPEC_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SPEC_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn signatures_reproduce_the_specification_test_vector() {
        let secret = SigningSecret::parse(SPEC_SECRET).expect("spec secret");
        assert_eq!(secret.sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY), SPEC_SIGNATURE);
    }

    #[test]
    fn verification_accepts_the_vector_among_other_signatures_and_refuses_changes() {
        let secret = SigningSecret::parse(SPEC_SECRET).expect("spec secret");
        let header = format!("v1,bm9wZQ== {SPEC_SIGNATURE}");
        let ts = SPEC_TIMESTAMP.to_string();
        secret
            .verify(SPEC_ID, &ts, &header, SPEC_BODY, SPEC_TIMESTAMP + 10, 300)
            .expect("verifies");
        assert_eq!(
            secret.verify(
                SPEC_ID,
                &ts,
                &header,
                br#"{"test": 2432232315}"#,
                SPEC_TIMESTAMP,
                300
            ),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            secret.verify("msg_other", &ts, &header, SPEC_BODY, SPEC_TIMESTAMP, 300),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            secret.verify(SPEC_ID, &ts, &header, SPEC_BODY, SPEC_TIMESTAMP + 301, 300),
            Err(SignatureError::OutsideTolerance { tolerance_secs: 300 })
        );
    }

    #[test]
    fn generated_secrets_parse_back_and_sign_alike() {
        let (secret, text) = SigningSecret::generate();
        assert!(text.starts_with(SECRET_PREFIX));
        let parsed = SigningSecret::parse(&text).expect("parses");
        assert_eq!(secret.sign("msg_1", 1, b"{}"), parsed.sign("msg_1", 1, b"{}"));
        assert_eq!(format!("{parsed:?}"), "SigningSecret([redacted])");
    }

    #[test]
    fn malformed_secrets_are_refused() {
        for text in ["", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_!!!", "whsec_AAAA"] {
            assert_eq!(
                SigningSecret::parse(text).err(),
                Some(SignatureError::MalformedSecret),
                "{text}"
            );
        }
    }
}
