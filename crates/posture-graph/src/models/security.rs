//! Security data: Graph alerts v2 and secure scores, Defender for Endpoint machines and
//! vulnerabilities.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::open_enum;

open_enum!(AlertSeverity {
    Unknown = "unknown",
    Informational = "informational",
    Low = "low",
    Medium = "medium",
    High = "high",
});

open_enum!(AlertStatus {
    New = "new",
    InProgress = "inProgress",
    Resolved = "resolved",
    Unknown = "unknown",
});

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SecurityAlert {
    pub id: String,
    pub incident_id: Option<String>,
    pub title: Option<String>,
    pub severity: Option<AlertSeverity>,
    pub status: Option<AlertStatus>,
    pub classification: Option<String>,
    pub determination: Option<String>,
    pub service_source: Option<String>,
    pub detection_source: Option<String>,
    pub category: Option<String>,
    pub created_date_time: Option<DateTime<Utc>>,
    pub last_update_date_time: Option<DateTime<Utc>>,
    pub resolved_date_time: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub mitre_techniques: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SecureScore {
    pub id: String,
    pub azure_tenant_id: Option<String>,
    pub created_date_time: Option<DateTime<Utc>>,
    pub current_score: Option<f64>,
    pub max_score: Option<f64>,
    pub active_user_count: Option<i64>,
    pub licensed_user_count: Option<i64>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub enabled_services: Vec<String>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub control_scores: Vec<ControlScore>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ControlScore {
    pub control_category: Option<String>,
    pub control_name: Option<String>,
    pub score: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DefenderMachine {
    pub id: String,
    pub computer_dns_name: Option<String>,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    pub os_platform: Option<String>,
    pub version: Option<String>,
    pub health_status: Option<String>,
    pub onboarding_status: Option<String>,
    pub risk_score: Option<String>,
    pub exposure_level: Option<String>,
    pub is_aad_joined: Option<bool>,
    pub aad_device_id: Option<String>,
    #[serde(deserialize_with = "super::nullable_vec")]
    pub machine_tags: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MachineVulnerability {
    pub id: String,
    pub cve_id: Option<String>,
    pub machine_id: Option<String>,
    pub fixing_kb_id: Option<String>,
    pub product_name: Option<String>,
    pub product_vendor: Option<String>,
    pub product_version: Option<String>,
    pub severity: Option<String>,
}
