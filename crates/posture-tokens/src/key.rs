//! What a cached token is keyed by: the tenant (a canonical lower-case GUID, so `ABC…` and
//! `abc…` share one cache entry and one lease) and the Microsoft API.

use std::fmt;

use posture_graph::Resource;
use posture_proto::v1::ApiResource;

use crate::error::TokensError;

/// A tenant id that has been checked to be a GUID.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(String);

impl TenantId {
    pub fn parse(raw: &str) -> Result<TenantId, TokensError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(TokensError::InvalidArgument {
                field: "tenant_id",
                reason: "must not be empty".to_owned(),
            });
        }
        let parsed = uuid::Uuid::parse_str(trimmed).map_err(|_| TokensError::InvalidArgument {
            field: "tenant_id",
            reason: "must be an Entra tenant GUID such as 00000000-0000-0000-0000-000000000000".to_owned(),
        })?;
        Ok(TenantId(parsed.hyphenated().to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One cache entry, one lease: a tenant and an API.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenKey {
    pub tenant: TenantId,
    pub resource: Resource,
}

impl TokenKey {
    pub fn new(tenant: TenantId, resource: Resource) -> TokenKey {
        TokenKey { tenant, resource }
    }

    /// The key as stored in NATS KV: `{tenant}.{resource}` (both only use KV-safe characters).
    pub fn kv_key(&self) -> String {
        format!("{}.{}", self.tenant, self.resource.as_str())
    }
}

impl fmt::Display for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.tenant, self.resource.as_str())
    }
}

/// The contract's API enum to the client's.
pub fn resource_from_proto(value: i32) -> Result<Resource, TokensError> {
    match ApiResource::try_from(value) {
        Ok(ApiResource::Graph) => Ok(Resource::Graph),
        Ok(ApiResource::Defender) => Ok(Resource::DefenderForEndpoint),
        Ok(ApiResource::ManagementActivity) => Ok(Resource::ManagementActivity),
        Ok(ApiResource::Unspecified) | Err(_) => Err(TokensError::InvalidArgument {
            field: "resource",
            reason: "must be API_RESOURCE_GRAPH, API_RESOURCE_DEFENDER or API_RESOURCE_MANAGEMENT_ACTIVITY"
                .to_owned(),
        }),
    }
}

pub fn resource_to_proto(resource: Resource) -> ApiResource {
    match resource {
        Resource::Graph => ApiResource::Graph,
        Resource::DefenderForEndpoint => ApiResource::Defender,
        Resource::ManagementActivity => ApiResource::ManagementActivity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_are_canonical_guids() {
        let upper = TenantId::parse(" 9B2F8A8E-2C63-4E4B-9D1A-0F3A9E5F1C11 ").ok();
        let lower = TenantId::parse("9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11").ok();
        assert!(upper.is_some());
        assert_eq!(upper, lower);
        assert!(TenantId::parse("contoso.onmicrosoft.com").is_err());
        assert!(TenantId::parse("").is_err());
        assert!(TenantId::parse("a.b>c").is_err());
    }

    #[test]
    fn every_api_maps_both_ways_and_unspecified_is_rejected() {
        for resource in Resource::ALL {
            let back = resource_from_proto(resource_to_proto(resource) as i32).ok();
            assert_eq!(back, Some(resource));
        }
        assert!(resource_from_proto(0).is_err());
        assert!(resource_from_proto(99).is_err());
    }

    #[test]
    fn kv_keys_only_use_kv_safe_characters() {
        let key = TokenKey::new(
            TenantId::parse("9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11").expect("a GUID"),
            Resource::DefenderForEndpoint,
        );
        let kv = key.kv_key();
        assert!(
            kv.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
            "{kv}"
        );
    }
}
