//! Typed identifiers and opaque page tokens. An id is parsed once at the edge; past that, a
//! `TenantId` cannot be confused with a `RunId`, and a page token cannot be forged into a panic.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::error::ServiceError;

/// A string that is not a valid id of the named kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind}: `{value}` {reason}")]
pub struct InvalidId {
    pub kind: &'static str,
    pub value: String,
    pub reason: &'static str,
}

impl From<InvalidId> for ServiceError {
    fn from(err: InvalidId) -> Self {
        ServiceError::invalid(err.kind, format!("`{}` {}", err.value, err.reason))
    }
}

fn parse_uuid(kind: &'static str, value: &str) -> Result<Uuid, InvalidId> {
    let shown: String = value.chars().take(64).collect();
    let uuid = Uuid::try_parse(value.trim()).map_err(|_| InvalidId {
        kind,
        value: shown.clone(),
        reason: "is not a GUID",
    })?;
    if uuid.is_nil() {
        return Err(InvalidId {
            kind,
            value: shown,
            reason: "is the nil GUID",
        });
    }
    Ok(uuid)
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            pub const KIND: &'static str = $kind;

            /// A fresh random id.
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }

            pub fn from_uuid(uuid: Uuid) -> Result<Self, InvalidId> {
                if uuid.is_nil() {
                    return Err(InvalidId { kind: $kind, value: uuid.to_string(), reason: "is the nil GUID" });
                }
                Ok(Self(uuid))
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                parse_uuid($kind, value).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // Lower-case hyphenated, the form Entra ID and Graph use.
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = String::deserialize(deserializer)?;
                value.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

uuid_id!(
    /// An Entra ID (Azure AD) tenant: the directory GUID, never a domain name.
    TenantId, "tenant_id"
);
uuid_id!(
    /// A tenant connection (app registration credentials) held by the credentials service.
    ConnectionId, "connection_id"
);
uuid_id!(
    /// One sync run of one tenant.
    RunId, "run_id"
);
uuid_id!(
    /// A gateway API key (the public half; the secret is stored hashed).
    ApiKeyId, "api_key_id"
);
uuid_id!(
    /// A tenant's sync schedule.
    ScheduleId, "schedule_id"
);
uuid_id!(
    /// One assessment of one tenant.
    AssessmentId, "assessment_id"
);

/// Where the next page starts: an offset for simple listings or a store cursor (last key seen).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum PageToken {
    #[serde(rename = "o")]
    Offset(u64),
    #[serde(rename = "c")]
    Cursor(String),
}

/// Tokens longer than this were not issued by us; refusing them early bounds decoding work.
const MAX_PAGE_TOKEN_LEN: usize = 1024;

impl PageToken {
    /// Opaque form for `next_page_token`: URL-safe base64 of a small JSON document.
    pub fn encode(&self) -> String {
        // Serializing a two-variant enum of a number or string cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Decodes a client-supplied `page_token`; an empty string means the first page (`None`).
    pub fn decode(token: &str) -> Result<Option<Self>, ServiceError> {
        if token.is_empty() {
            return Ok(None);
        }
        let invalid = || ServiceError::invalid("page_token", "is not a page token returned by this API");
        if token.len() > MAX_PAGE_TOKEN_LEN {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
        serde_json::from_slice(&bytes).map(Some).map_err(|_| invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_id_parses_guids_and_displays_lower_case() {
        let id: TenantId = "9B2F8A8E-2C63-4E4B-9D1A-0F3A9E5F1C11"
            .parse()
            .expect("valid guid");
        assert_eq!(id.to_string(), "9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11");
        assert_eq!(id.to_string().parse::<TenantId>(), Ok(id));
    }

    #[test]
    fn tenant_id_rejects_domains_nil_and_garbage() {
        for bad in [
            "contoso.onmicrosoft.com",
            "00000000-0000-0000-0000-000000000000",
            "",
            "9b2f8a8e",
        ] {
            let err = bad.parse::<TenantId>().expect_err(bad);
            assert_eq!(err.kind, "tenant_id");
        }
        let status = tonic::Status::from(ServiceError::from(
            "contoso.com"
                .parse::<TenantId>()
                .expect_err("domain is not a tenant id"),
        ));
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert!(status.message().contains("contoso.com"));
    }

    #[test]
    fn ids_serialize_as_plain_strings() {
        let id = RunId::new_random();
        let json = serde_json::to_string(&id).expect("serialize");
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<RunId>(&json).expect("deserialize"), id);
        assert!(serde_json::from_str::<RunId>("\"nope\"").is_err());
    }

    #[test]
    fn page_tokens_round_trip_and_are_opaque() {
        for token in [PageToken::Offset(500), PageToken::Cursor("tenant/42".into())] {
            let encoded = token.encode();
            assert!(
                encoded
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            );
            assert_eq!(
                PageToken::decode(&encoded).expect("own token decodes"),
                Some(token)
            );
        }
        assert_eq!(PageToken::decode("").expect("empty is first page"), None);
    }

    #[test]
    fn forged_page_tokens_are_invalid_argument() {
        let long = "A".repeat(5000);
        let not_json = URL_SAFE_NO_PAD.encode(b"{\"o\":-1}");
        let unknown = URL_SAFE_NO_PAD.encode(b"{\"x\":1}");
        for bad in [
            "%%%",
            "aGVsbG8",
            long.as_str(),
            not_json.as_str(),
            unknown.as_str(),
        ] {
            let err = PageToken::decode(bad).expect_err("forged token");
            assert_eq!(tonic::Status::from(err).code(), tonic::Code::InvalidArgument);
        }
    }
}
