//! What a cached token is keyed by: the tenant (the platform's `TenantId`, whose text is the
//! lower-case GUID, so `ABC…` and `abc…` share one cache entry and one lease) and the Microsoft API.

use std::fmt;

use posture_graph::Resource;
use posture_kit::ids::TenantId;
use posture_proto::v1::ApiResource;

use crate::error::TokensError;

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
        Ok(ApiResource::ExchangeOnline) => Ok(Resource::ExchangeOnline),
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
        Resource::ExchangeOnline => ApiResource::ExchangeOnline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_in_any_case_has_one_kv_key_and_non_guids_are_refused() {
        let upper: TenantId = " 9B2F8A8E-2C63-4E4B-9D1A-0F3A9E5F1C11 ".parse().expect("a GUID");
        let lower: TenantId = "9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11".parse().expect("a GUID");
        assert_eq!(
            TokenKey::new(upper, Resource::Graph).kv_key(),
            "9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11.graph"
        );
        assert_eq!(
            TokenKey::new(upper, Resource::Graph),
            TokenKey::new(lower, Resource::Graph)
        );
        for bad in ["contoso.onmicrosoft.com", "", "a.b>c"] {
            assert!(bad.parse::<TenantId>().is_err(), "{bad}");
        }
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
            "9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11".parse().expect("a GUID"),
            Resource::DefenderForEndpoint,
        );
        let kv = key.kv_key();
        assert!(
            kv.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
            "{kv}"
        );
    }
}
