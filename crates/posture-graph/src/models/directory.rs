//! Directory objects: users (with signInActivity), registration details, groups, the organization
//! and its subscribed SKUs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::open_enum;

open_enum!(UserType { Member = "Member", Guest = "Guest" });

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct User {
    pub id: String,
    pub user_principal_name: Option<String>,
    pub display_name: Option<String>,
    pub mail: Option<String>,
    pub account_enabled: Option<bool>,
    pub user_type: Option<UserType>,
    pub external_user_state: Option<String>,
    pub creation_type: Option<String>,
    pub created_date_time: Option<DateTime<Utc>>,
    pub last_password_change_date_time: Option<DateTime<Utc>>,
    pub password_policies: Option<String>,
    pub on_premises_sync_enabled: Option<bool>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub assigned_licenses: Vec<AssignedLicense>,
    pub usage_location: Option<String>,
    pub sign_in_activity: Option<SignInActivity>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AssignedLicense {
    pub sku_id: Option<String>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub disabled_plans: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SignInActivity {
    pub last_sign_in_date_time: Option<DateTime<Utc>>,
    pub last_sign_in_request_id: Option<String>,
    pub last_non_interactive_sign_in_date_time: Option<DateTime<Utc>>,
    pub last_successful_sign_in_date_time: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserRegistrationDetails {
    pub id: String,
    pub user_principal_name: Option<String>,
    pub user_display_name: Option<String>,
    /// `member` / `guest` (lower-case here, unlike `User::user_type`).
    pub user_type: Option<String>,
    pub is_admin: Option<bool>,
    pub is_mfa_registered: Option<bool>,
    pub is_mfa_capable: Option<bool>,
    pub is_passwordless_capable: Option<bool>,
    pub is_sspr_registered: Option<bool>,
    pub is_sspr_enabled: Option<bool>,
    pub is_sspr_capable: Option<bool>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub methods_registered: Vec<String>,
    pub last_updated_date_time: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Group {
    pub id: String,
    pub display_name: Option<String>,
    pub mail: Option<String>,
    pub mail_enabled: Option<bool>,
    pub security_enabled: Option<bool>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub group_types: Vec<String>,
    pub membership_rule: Option<String>,
    pub is_assignable_to_role: Option<bool>,
    pub visibility: Option<String>,
    pub created_date_time: Option<DateTime<Utc>>,
    pub on_premises_sync_enabled: Option<bool>,
    /// Membership changes in a delta round.
    #[serde(rename = "members@delta")]
    pub members_delta: Option<Vec<MemberChange>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemberChange {
    pub id: String,
    #[serde(rename = "@odata.type")]
    pub odata_type: Option<String>,
    #[serde(rename = "@removed")]
    pub removed: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Organization {
    pub id: String,
    pub display_name: Option<String>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub verified_domains: Vec<VerifiedDomain>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub assigned_plans: Vec<AssignedPlan>,
    pub country_letter_code: Option<String>,
    pub created_date_time: Option<DateTime<Utc>>,
    pub tenant_type: Option<String>,
    pub on_premises_sync_enabled: Option<bool>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub technical_notification_mails: Vec<String>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub security_compliance_notification_mails: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VerifiedDomain {
    pub name: String,
    pub is_default: Option<bool>,
    pub is_initial: Option<bool>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AssignedPlan {
    pub assigned_date_time: Option<DateTime<Utc>>,
    pub capability_status: Option<String>,
    pub service: Option<String>,
    pub service_plan_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscribedSku {
    pub id: String,
    pub sku_id: Option<String>,
    pub sku_part_number: Option<String>,
    pub applies_to: Option<String>,
    pub capability_status: Option<String>,
    pub consumed_units: Option<i64>,
    pub prepaid_units: Option<PrepaidUnits>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub service_plans: Vec<ServicePlan>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PrepaidUnits {
    pub enabled: Option<i64>,
    pub suspended: Option<i64>,
    pub warning: Option<i64>,
    pub locked_out: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServicePlan {
    pub service_plan_id: Option<String>,
    pub service_plan_name: Option<String>,
    pub provisioning_status: Option<String>,
    pub applies_to: Option<String>,
}
