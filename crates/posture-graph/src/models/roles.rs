//! Unified RBAC: role definitions, active assignments and PIM schedule instances.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RoleAssignment {
    pub id: String,
    pub principal_id: Option<String>,
    pub role_definition_id: Option<String>,
    pub directory_scope_id: Option<String>,
    pub app_scope_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RoleDefinition {
    pub id: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub is_built_in: Option<bool>,
    pub is_enabled: Option<bool>,
    pub template_id: Option<String>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub role_permissions: Vec<RolePermission>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RolePermission {
    #[serde(deserialize_with = "super::nullable_vec")]
    pub allowed_resource_actions: Vec<String>,
}

/// An eligibility or assignment schedule instance (PIM).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RoleScheduleInstance {
    pub id: String,
    pub principal_id: Option<String>,
    pub role_definition_id: Option<String>,
    pub directory_scope_id: Option<String>,
    pub app_scope_id: Option<String>,
    pub start_date_time: Option<DateTime<Utc>>,
    pub end_date_time: Option<DateTime<Utc>>,
    /// `Direct` / `Group` / `Inherited`.
    pub member_type: Option<String>,
    /// Assignment instances only: `Assigned` / `Activated`.
    pub assignment_type: Option<String>,
}
