//! Intune managed devices and compliance policies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::open_enum;

open_enum!(ComplianceState {
    Unknown = "unknown",
    Compliant = "compliant",
    Noncompliant = "noncompliant",
    Conflict = "conflict",
    Error = "error",
    InGracePeriod = "inGracePeriod",
    ConfigManager = "configManager",
});

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ManagedDevice {
    pub id: String,
    pub device_name: Option<String>,
    pub user_id: Option<String>,
    pub user_principal_name: Option<String>,
    pub operating_system: Option<String>,
    pub os_version: Option<String>,
    pub compliance_state: Option<ComplianceState>,
    pub last_sync_date_time: Option<DateTime<Utc>>,
    pub enrolled_date_time: Option<DateTime<Utc>>,
    pub managed_device_owner_type: Option<String>,
    pub management_agent: Option<String>,
    pub is_encrypted: Option<bool>,
    /// A string in the API (`"True"`/`"False"`/`"Unknown"`).
    pub jail_broken: Option<String>,
    #[serde(rename = "azureADDeviceId")]
    pub azure_ad_device_id: Option<String>,
    pub model: Option<String>,
    pub manufacturer: Option<String>,
}

/// Polymorphic by `@odata.type`; platform settings stay in the raw JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeviceCompliancePolicy {
    pub id: String,
    #[serde(rename = "@odata.type")]
    pub odata_type: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub created_date_time: Option<DateTime<Utc>>,
    pub last_modified_date_time: Option<DateTime<Utc>>,
    pub version: Option<i64>,
}
