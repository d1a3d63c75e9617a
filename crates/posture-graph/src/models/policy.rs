//! Conditional Access policies, named locations and the tenant authorization policy.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::open_enum;

open_enum!(PolicyState {
    Enabled = "enabled",
    Disabled = "disabled",
    ReportOnly = "enabledForReportingButNotEnforced",
});

open_enum!(BuiltInControl {
    Block = "block",
    Mfa = "mfa",
    CompliantDevice = "compliantDevice",
    DomainJoinedDevice = "domainJoinedDevice",
    ApprovedApplication = "approvedApplication",
    CompliantApplication = "compliantApplication",
    PasswordChange = "passwordChange",
});

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConditionalAccessPolicy {
    pub id: String,
    pub display_name: Option<String>,
    pub created_date_time: Option<DateTime<Utc>>,
    pub modified_date_time: Option<DateTime<Utc>>,
    pub state: Option<PolicyState>,
    pub conditions: Option<ConditionSet>,
    pub grant_controls: Option<GrantControls>,
    pub session_controls: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConditionSet {
    pub users: Option<UserConditions>,
    pub applications: Option<ApplicationConditions>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub client_app_types: Vec<String>,
    pub platforms: Option<serde_json::Value>,
    pub locations: Option<LocationConditions>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub user_risk_levels: Vec<String>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub sign_in_risk_levels: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserConditions {
    #[serde(deserialize_with = "super::nullable_vec")]
    pub include_users: Vec<String>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub exclude_users: Vec<String>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub include_groups: Vec<String>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub exclude_groups: Vec<String>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub include_roles: Vec<String>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub exclude_roles: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ApplicationConditions {
    #[serde(deserialize_with = "super::nullable_vec")]
    pub include_applications: Vec<String>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub exclude_applications: Vec<String>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub include_user_actions: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LocationConditions {
    #[serde(deserialize_with = "super::nullable_vec")]
    pub include_locations: Vec<String>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub exclude_locations: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GrantControls {
    pub operator: Option<String>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub built_in_controls: Vec<BuiltInControl>,
    pub authentication_strength: Option<serde_json::Value>,
}

/// `#microsoft.graph.ipNamedLocation` or `#microsoft.graph.countryNamedLocation`; fields of both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NamedLocation {
    pub id: String,
    #[serde(rename = "@odata.type")]
    pub odata_type: Option<String>,
    pub display_name: Option<String>,
    pub is_trusted: Option<bool>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub ip_ranges: Vec<IpRange>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub countries_and_regions: Vec<String>,
    pub include_unknown_countries_and_regions: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IpRange {
    pub cidr_address: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthorizationPolicy {
    pub id: String,
    pub allow_invites_from: Option<String>,
    pub allowed_to_sign_up_email_based_subscriptions: Option<bool>,
    pub allowed_to_use_sspr: Option<bool>,
    pub allow_email_verified_users_to_join_organization: Option<bool>,
    pub allow_user_consent_for_risky_apps: Option<bool>,
    pub block_msol_power_shell: Option<bool>,
    pub guest_user_role_id: Option<String>,
    pub default_user_role_permissions: Option<DefaultUserRolePermissions>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DefaultUserRolePermissions {
    pub allowed_to_create_apps: Option<bool>,
    pub allowed_to_create_security_groups: Option<bool>,
    pub allowed_to_create_tenants: Option<bool>,
    pub allowed_to_read_other_users: Option<bool>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub permission_grant_policies_assigned: Vec<String>,
}
