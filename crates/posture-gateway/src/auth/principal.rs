//! Who is calling: the role and tenant scope of an authenticated API key. Roles nest (viewer <
//! operator < admin); a scope is every tenant or a fixed set of Entra tenant ids.

use std::collections::BTreeSet;
use std::fmt;

use posture_kit::ServiceError;
use posture_kit::ids::{ApiKeyId, TenantId};
use posture_proto::v1;

/// What a key may do; each role includes the ones below it, so `Ord` is the nesting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccessRole {
    Viewer,
    Operator,
    Admin,
}

impl AccessRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessRole::Viewer => "viewer",
            AccessRole::Operator => "operator",
            AccessRole::Admin => "admin",
        }
    }

    /// The stored form back; `None` for anything else.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "viewer" => Some(AccessRole::Viewer),
            "operator" => Some(AccessRole::Operator),
            "admin" => Some(AccessRole::Admin),
            _ => None,
        }
    }

    /// From the wire enum; unspecified and unknown values are rejected.
    pub fn from_proto(value: i32) -> Result<Self, ServiceError> {
        match v1::Role::try_from(value) {
            Ok(v1::Role::Viewer) => Ok(AccessRole::Viewer),
            Ok(v1::Role::Operator) => Ok(AccessRole::Operator),
            Ok(v1::Role::Admin) => Ok(AccessRole::Admin),
            Ok(v1::Role::Unspecified) | Err(_) => Err(ServiceError::invalid(
                "role",
                "must be ROLE_VIEWER, ROLE_OPERATOR or ROLE_ADMIN",
            )),
        }
    }

    pub fn to_proto(self) -> v1::Role {
        match self {
            AccessRole::Viewer => v1::Role::Viewer,
            AccessRole::Operator => v1::Role::Operator,
            AccessRole::Admin => v1::Role::Admin,
        }
    }
}

impl fmt::Display for AccessRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Most tenant ids one key may name (the contract's limit).
pub const MAX_SCOPE_TENANTS: usize = 10_000;

/// The tenants a key may touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantScope {
    /// Every tenant, including ones connected later.
    AllTenants,
    /// Exactly these tenants (never empty).
    Tenants(BTreeSet<TenantId>),
}

impl TenantScope {
    pub fn contains(&self, tenant: &TenantId) -> bool {
        match self {
            TenantScope::AllTenants => true,
            TenantScope::Tenants(tenants) => tenants.contains(tenant),
        }
    }

    /// True when every tenant `other` may touch is also in `self`: a key can only hand out
    /// what it holds.
    pub fn covers(&self, other: &TenantScope) -> bool {
        match (self, other) {
            (TenantScope::AllTenants, _) => true,
            (TenantScope::Tenants(_), TenantScope::AllTenants) => false,
            (TenantScope::Tenants(mine), TenantScope::Tenants(theirs)) => theirs.is_subset(mine),
        }
    }

    /// Whether a tenant id found in a response is in scope; an id that does not parse is not.
    pub fn contains_str(&self, tenant: &str) -> bool {
        match self {
            TenantScope::AllTenants => true,
            TenantScope::Tenants(_) => tenant.parse::<TenantId>().is_ok_and(|id| self.contains(&id)),
        }
    }

    pub fn from_proto(scope: Option<&v1::TenantScope>) -> Result<Self, ServiceError> {
        let scope = scope.ok_or_else(|| ServiceError::invalid("scope", "is required"))?;
        if scope.all_tenants {
            if !scope.tenant_ids.is_empty() {
                return Err(ServiceError::invalid(
                    "scope.tenant_ids",
                    "must be empty when scope.all_tenants is true",
                ));
            }
            return Ok(TenantScope::AllTenants);
        }
        if scope.tenant_ids.is_empty() || scope.tenant_ids.len() > MAX_SCOPE_TENANTS {
            return Err(ServiceError::invalid(
                "scope.tenant_ids",
                format!("must name 1 to {MAX_SCOPE_TENANTS} tenants when scope.all_tenants is false"),
            ));
        }
        let tenants = scope
            .tenant_ids
            .iter()
            .map(|id| {
                id.parse::<TenantId>()
                    .map_err(|err| ServiceError::invalid("scope.tenant_ids", err.to_string()))
            })
            .collect::<Result<BTreeSet<_>, _>>()?;
        Ok(TenantScope::Tenants(tenants))
    }

    pub fn to_proto(&self) -> v1::TenantScope {
        match self {
            TenantScope::AllTenants => v1::TenantScope {
                all_tenants: true,
                tenant_ids: Vec::new(),
            },
            TenantScope::Tenants(tenants) => v1::TenantScope {
                all_tenants: false,
                tenant_ids: tenants.iter().map(ToString::to_string).collect(),
            },
        }
    }
}

/// An authenticated caller, put into each request's extensions by the gate.
#[derive(Debug, Clone)]
pub struct Principal {
    pub api_key_id: ApiKeyId,
    /// The key's display name: the principal recorded in audit fields (`saved_by`, ...).
    pub name: String,
    pub role: AccessRole,
    pub scope: TenantScope,
}

impl Principal {
    /// PERMISSION_DENIED unless the key may touch `tenant`.
    pub fn require_tenant(&self, tenant: &TenantId) -> Result<(), ServiceError> {
        if self.scope.contains(tenant) {
            Ok(())
        } else {
            tracing::info!(api_key_id = %self.api_key_id, %tenant, "call refused: tenant outside the key's scope");
            Err(ServiceError::PermissionDenied {
                reason: format!("the API key `{}` is not scoped to tenant {tenant}", self.name),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(n: u8) -> TenantId {
        format!("00000000-0000-4000-8000-0000000000{n:02x}")
            .parse()
            .unwrap_or_else(|_| TenantId::new_random())
    }

    #[test]
    fn roles_nest_viewer_below_operator_below_admin() {
        assert!(AccessRole::Viewer < AccessRole::Operator);
        assert!(AccessRole::Operator < AccessRole::Admin);
        for role in [AccessRole::Viewer, AccessRole::Operator, AccessRole::Admin] {
            assert_eq!(AccessRole::parse(role.as_str()), Some(role));
            assert_eq!(AccessRole::from_proto(role.to_proto() as i32).ok(), Some(role));
        }
        assert!(AccessRole::from_proto(0).is_err());
        assert!(AccessRole::from_proto(42).is_err());
    }

    #[test]
    fn a_scoped_key_covers_only_its_subsets() {
        let a_and_b = TenantScope::Tenants([tenant(1), tenant(2)].into());
        let a = TenantScope::Tenants([tenant(1)].into());
        assert!(TenantScope::AllTenants.covers(&a_and_b));
        assert!(a_and_b.covers(&a));
        assert!(!a.covers(&a_and_b));
        assert!(!a.covers(&TenantScope::AllTenants));
        assert!(a.contains_str(&tenant(1).to_string().to_uppercase()));
        assert!(!a.contains_str("not-a-guid"));
    }

    #[test]
    fn scope_input_must_be_all_or_a_list_of_guids() {
        let all_and_list = v1::TenantScope {
            all_tenants: true,
            tenant_ids: vec![tenant(1).to_string()],
        };
        assert!(TenantScope::from_proto(Some(&all_and_list)).is_err());
        assert!(TenantScope::from_proto(Some(&v1::TenantScope::default())).is_err());
        assert!(TenantScope::from_proto(None).is_err());
        let domain = v1::TenantScope {
            all_tenants: false,
            tenant_ids: vec!["contoso.onmicrosoft.com".into()],
        };
        assert!(TenantScope::from_proto(Some(&domain)).is_err());
        let scoped = TenantScope::Tenants([tenant(3)].into());
        assert_eq!(
            TenantScope::from_proto(Some(&scoped.to_proto())).ok(),
            Some(scoped)
        );
    }
}
