//! Tenant administration: SharePoint settings, service health issues, directory audits.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::open_enum;

open_enum!(SharingCapability {
    Disabled = "disabled",
    ExternalUserSharingOnly = "externalUserSharingOnly",
    ExternalUserAndGuestSharing = "externalUserAndGuestSharing",
    ExistingExternalUserSharingOnly = "existingExternalUserSharingOnly",
});

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SharepointSettings {
    pub sharing_capability: Option<SharingCapability>,
    pub sharing_domain_restriction_mode: Option<String>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub sharing_allowed_domain_list: Vec<String>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub sharing_blocked_domain_list: Vec<String>,
    pub is_resharing_by_external_users_enabled: Option<bool>,
    pub is_legacy_auth_protocols_enabled: Option<bool>,
    pub is_unmanaged_sync_app_for_tenant_restricted: Option<bool>,
    pub idle_session_sign_out: Option<IdleSessionSignOut>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IdleSessionSignOut {
    pub is_enabled: Option<bool>,
    pub warn_after_in_seconds: Option<i64>,
    pub sign_out_after_in_seconds: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServiceHealthIssue {
    pub id: String,
    pub title: Option<String>,
    pub service: Option<String>,
    pub feature: Option<String>,
    pub classification: Option<String>,
    pub status: Option<String>,
    pub is_resolved: Option<bool>,
    pub impact_description: Option<String>,
    pub start_date_time: Option<DateTime<Utc>>,
    pub end_date_time: Option<DateTime<Utc>>,
    pub last_modified_date_time: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DirectoryAudit {
    pub id: String,
    pub category: Option<String>,
    pub correlation_id: Option<String>,
    pub result: Option<String>,
    pub result_reason: Option<String>,
    pub activity_display_name: Option<String>,
    pub activity_date_time: Option<DateTime<Utc>>,
    pub logged_by_service: Option<String>,
    pub operation_type: Option<String>,
    pub initiated_by: Option<serde_json::Value>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub target_resources: Vec<serde_json::Value>,
}
