//! The tenant document: the policies' input. Raw Graph objects per entity kind as synced, the sync
//! status of each kind, tenant settings, pack parameters and a few derived indexes (licences,
//! privileged principals) that would be slow or awkward to compute in Rego. See docs/tenant-document.md.

mod accounts;
mod builder;
mod licences;
mod projection;
mod roles;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use builder::{DEFAULT_PARAMETERS, TenantDocumentBuilder};
pub use licences::Licences;
pub use roles::{PRIVILEGED_ROLE_TEMPLATE_IDS, role_display_name};

use crate::error::AssessmentError;

/// The entity kinds a document carries, with their key under `collections`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CollectionKind {
    Users,
    /// `{id, signInActivity}` per user; merged onto `users` by the builder.
    UserSignInActivity,
    UserRegistrationDetails,
    ConditionalAccessPolicies,
    NamedLocations,
    RoleAssignments,
    RoleDefinitions,
    RoleEligibilityInstances,
    RoleAssignmentInstances,
    AuthorizationPolicy,
    Organization,
    SubscribedSkus,
    AuthenticationMethodsPolicy,
    Domains,
    DirectorySettings,
    SharepointSettings,
    Groups,
}

impl CollectionKind {
    pub const ALL: [CollectionKind; 17] = [
        CollectionKind::Users,
        CollectionKind::UserSignInActivity,
        CollectionKind::UserRegistrationDetails,
        CollectionKind::ConditionalAccessPolicies,
        CollectionKind::NamedLocations,
        CollectionKind::RoleAssignments,
        CollectionKind::RoleDefinitions,
        CollectionKind::RoleEligibilityInstances,
        CollectionKind::RoleAssignmentInstances,
        CollectionKind::AuthorizationPolicy,
        CollectionKind::Organization,
        CollectionKind::SubscribedSkus,
        CollectionKind::AuthenticationMethodsPolicy,
        CollectionKind::Domains,
        CollectionKind::DirectorySettings,
        CollectionKind::SharepointSettings,
        CollectionKind::Groups,
    ];

    /// The key under `collections` in the document, as policies name it.
    pub fn key(self) -> &'static str {
        match self {
            CollectionKind::Users => "users",
            CollectionKind::UserSignInActivity => "user_sign_in_activity",
            CollectionKind::UserRegistrationDetails => "user_registration_details",
            CollectionKind::ConditionalAccessPolicies => "conditional_access_policies",
            CollectionKind::NamedLocations => "named_locations",
            CollectionKind::RoleAssignments => "role_assignments",
            CollectionKind::RoleDefinitions => "role_definitions",
            CollectionKind::RoleEligibilityInstances => "role_eligibility_instances",
            CollectionKind::RoleAssignmentInstances => "role_assignment_instances",
            CollectionKind::AuthorizationPolicy => "authorization_policy",
            CollectionKind::Organization => "organization",
            CollectionKind::SubscribedSkus => "subscribed_skus",
            CollectionKind::AuthenticationMethodsPolicy => "authentication_methods_policy",
            CollectionKind::Domains => "domains",
            CollectionKind::DirectorySettings => "directory_settings",
            CollectionKind::SharepointSettings => "sharepoint_settings",
            CollectionKind::Groups => "groups",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// Whether the sync could read an entity kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionStatus {
    Ok,
    /// Not readable (permission not granted, licence missing, never synced); `reason` says which.
    Missing,
}

/// One entity kind as synced: Graph JSON objects (the per-user kinds projected to
/// [`CollectionKind::fields`] by the builder).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collection {
    pub status: CollectionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default)]
    pub items: Vec<Value>,
}

impl Collection {
    pub fn ok(items: Vec<Value>) -> Self {
        Collection {
            status: CollectionStatus::Ok,
            reason: None,
            items,
        }
    }

    /// A kind the sync could not read, with the reason as the sync classified it, e.g.
    /// `"403 Authorization_RequestDenied: AuditLog.Read.All not granted"`.
    pub fn missing(reason: impl Into<String>) -> Self {
        Collection {
            status: CollectionStatus::Missing,
            reason: Some(reason.into()),
            items: Vec::new(),
        }
    }

    pub fn is_ok(&self) -> bool {
        self.status == CollectionStatus::Ok
    }
}

/// A built tenant document, ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantDocument {
    tenant_id: String,
    value: Value,
}

impl TenantDocument {
    /// Accepts a document built elsewhere (stored, or hand-written for a custom pack's tests). It
    /// must be a JSON object with `tenant.id`; everything else is the policies' business.
    pub fn from_json(value: Value) -> Result<Self, AssessmentError> {
        let tenant_id = value
            .pointer("/tenant/id")
            .and_then(Value::as_str)
            .ok_or_else(|| AssessmentError::Document {
                tenant_id: "<unknown>".to_string(),
                message: "document has no string tenant.id".to_string(),
            })?
            .to_string();
        Ok(TenantDocument { tenant_id, value })
    }

    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    pub fn as_json(&self) -> &Value {
        &self.value
    }

    pub fn into_json(self) -> Value {
        self.value
    }
}
