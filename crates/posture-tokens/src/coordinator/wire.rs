//! The plaintext form of a shared token before sealing: a small protobuf message, so replicas of
//! different versions can still read each other's entries.

use chrono::{DateTime, Utc};
use prost::Message;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::cached::CachedToken;

#[derive(Clone, PartialEq, prost::Message)]
struct SharedToken {
    #[prost(string, tag = "1")]
    access_token: String,
    #[prost(int64, tag = "2")]
    issued_at_ms: i64,
    #[prost(int64, tag = "3")]
    expires_at_ms: i64,
    #[prost(int64, tag = "4")]
    refresh_at_ms: i64,
    #[prost(string, repeated, tag = "5")]
    roles: Vec<String>,
    #[prost(uint64, tag = "6")]
    credential_version: u64,
}

impl Drop for SharedToken {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.access_token);
    }
}

pub fn encode(token: &CachedToken) -> Zeroizing<Vec<u8>> {
    let message = SharedToken {
        access_token: token.value.expose_secret().to_owned(),
        issued_at_ms: token.issued_at.timestamp_millis(),
        expires_at_ms: token.expires_at.timestamp_millis(),
        refresh_at_ms: token.refresh_at.timestamp_millis(),
        roles: token.roles.clone(),
        credential_version: token.credential_version,
    };
    Zeroizing::new(message.encode_to_vec())
}

pub fn decode(bytes: &[u8]) -> Result<CachedToken, String> {
    let message = SharedToken::decode(bytes).map_err(|e| format!("not a shared token: {e}"))?;
    let time = |ms: i64, what: &str| {
        DateTime::<Utc>::from_timestamp_millis(ms).ok_or_else(|| format!("{what} is out of range"))
    };
    if message.access_token.is_empty() {
        return Err("the token is empty".to_owned());
    }
    Ok(CachedToken {
        value: SecretString::from(message.access_token.clone()),
        issued_at: time(message.issued_at_ms, "issued_at")?,
        expires_at: time(message.expires_at_ms, "expires_at")?,
        refresh_at: time(message.refresh_at_ms, "refresh_at")?,
        roles: message.roles.clone(),
        credential_version: message.credential_version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_tokens_round_trip_and_garbage_is_rejected() {
        let now = DateTime::from_timestamp(1_780_000_000, 0).expect("valid time");
        let token = CachedToken {
            value: SecretString::from("eyJ.x.y"),
            issued_at: now,
            expires_at: now + chrono::Duration::seconds(3600),
            refresh_at: now + chrono::Duration::seconds(3300),
            roles: vec!["User.Read.All".to_owned()],
            credential_version: 4,
        };
        let back = decode(&encode(&token)).expect("decodes");
        assert_eq!(back.value.expose_secret(), "eyJ.x.y");
        assert_eq!(back.expires_at, token.expires_at);
        assert_eq!(back.refresh_at, token.refresh_at);
        assert_eq!(back.roles, token.roles);
        assert_eq!(back.credential_version, 4);
        assert!(decode(b"\xff\xff\xff").is_err());
        assert!(decode(&[]).is_err());
    }
}
