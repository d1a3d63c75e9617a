//! Per-tenant assessment settings: declared emergency-access accounts and parameter overrides.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use posture_kit::ids::TenantId;
use posture_kit::time::{from_micros, micros};

use super::columns::{from_json, to_json};
use super::database::AssessmentStore;
use super::error::{StoreError, sql_error};

#[derive(Debug, Clone, PartialEq)]
pub struct SettingsRecord {
    pub tenant_id: TenantId,
    pub emergency_access_accounts: Vec<String>,
    pub parameters: BTreeMap<String, f64>,
    /// `None` when the tenant never saved settings.
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: String,
}

impl SettingsRecord {
    /// What a tenant that never saved settings has: defaults everywhere.
    pub fn unsaved(tenant_id: TenantId) -> Self {
        Self {
            tenant_id,
            emergency_access_accounts: Vec::new(),
            parameters: BTreeMap::new(),
            updated_at: None,
            updated_by: String::new(),
        }
    }
}

impl AssessmentStore {
    /// The tenant's settings; empty (defaults everywhere) when never saved.
    pub async fn settings(&self, tenant_id: &TenantId) -> Result<SettingsRecord, StoreError> {
        let row: Option<(String, String, i64, String)> = posture_kit::on_backend!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT emergency_access_accounts, parameters, updated_at, updated_by FROM tenant_settings \
                 WHERE tenant_id = $1",
            )
            .bind(tenant_id.to_string())
            .fetch_optional(pool)
            .await
            .map_err(sql_error("reading tenant settings"))?
        });
        let Some((accounts, parameters, updated_at, updated_by)) = row else {
            return Ok(SettingsRecord::unsaved(*tenant_id));
        };
        Ok(SettingsRecord {
            tenant_id: *tenant_id,
            emergency_access_accounts: from_json("emergency-access accounts", &accounts)?,
            parameters: from_json("parameters", &parameters)?,
            updated_at: Some(from_micros(updated_at)),
            updated_by,
        })
    }

    /// Replaces the tenant's settings.
    pub async fn save_settings(&self, s: &SettingsRecord, now: DateTime<Utc>) -> Result<(), StoreError> {
        posture_kit::on_backend!(self.db(), |pool| {
            sqlx::query(
                "INSERT INTO tenant_settings (tenant_id, emergency_access_accounts, parameters, updated_at, updated_by) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id) DO UPDATE SET \
                 emergency_access_accounts = excluded.emergency_access_accounts, parameters = excluded.parameters, \
                 updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            )
            .bind(s.tenant_id.to_string())
            .bind(to_json(&s.emergency_access_accounts))
            .bind(to_json(&s.parameters))
            .bind(micros(now))
            .bind(&s.updated_by)
            .execute(pool)
            .await
            .map_err(sql_error("saving tenant settings"))?;
        });
        Ok(())
    }
}
