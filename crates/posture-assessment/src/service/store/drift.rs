//! Drift items of tenants and their states: listing, reading and operators' verdicts. Recording
//! a detection is `detection.rs`.

use chrono::{DateTime, Utc};
use posture_kit::ids::TenantId;
use posture_kit::time::{from_micros, micros};
use sqlx::Row as _;

use super::columns::id;
use super::database::AssessmentStore;
use super::error::{StoreError, sql_error};
use crate::drift::DriftKind;

/// An operator's verdict (the API's `DriftState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftState {
    New,
    Accepted,
    Denied,
}

impl DriftState {
    pub const fn code(self) -> i32 {
        match self {
            DriftState::New => 1,
            DriftState::Accepted => 2,
            DriftState::Denied => 3,
        }
    }

    pub fn from_code(code: i32) -> Option<Self> {
        [DriftState::New, DriftState::Accepted, DriftState::Denied]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

pub const fn kind_code(kind: DriftKind) -> i32 {
    match kind {
        DriftKind::Changed => 1,
        DriftKind::Missing => 2,
        DriftKind::Added => 3,
    }
}

pub(super) fn kind_from_code(code: i32) -> Option<DriftKind> {
    [DriftKind::Changed, DriftKind::Missing, DriftKind::Added]
        .into_iter()
        .find(|k| kind_code(*k) == code)
}

/// The principal recorded when a detection, not a person, changes an item's state.
pub const DETECTION_PRINCIPAL: &str = "drift-detection";

#[derive(Debug, Clone, PartialEq)]
pub struct DriftRecord {
    /// A GUID, kept as text.
    pub drift_id: String,
    pub tenant_id: TenantId,
    pub baseline_id: String,
    pub entity_kind: String,
    pub match_key: String,
    pub object_id: String,
    pub display_name: String,
    pub kind: DriftKind,
    pub json_patch: String,
    pub baseline_version: u64,
    pub current_version: u64,
    pub fingerprint: String,
    pub state: DriftState,
    pub state_comment: String,
    pub state_changed_by: String,
    pub state_changed_at: Option<DateTime<Utc>>,
    pub accepted_until: Option<DateTime<Utc>>,
    /// Who made the change, when an audit log says so; empty until one is read (see
    /// `service::drift`).
    pub changed_by: String,
    pub changed_at: Option<DateTime<Utc>>,
    pub detected_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

pub(super) const COLUMNS: &str = "drift_id, tenant_id, baseline_id, entity_kind, match_key, object_id, display_name, kind, \
     json_patch, baseline_version, current_version, fingerprint, state, state_comment, state_changed_by, \
     state_changed_at, accepted_until, changed_by, changed_at, detected_at, resolved_at";

/// A drift record from a row of either engine (the body is expanded per engine).
macro_rules! drift_record {
    ($row:expr) => {{
        let row = $row;
        let get = |e: sqlx::Error| StoreError::Corrupt {
            what: "drift item",
            reason: e.to_string(),
        };
        let kind: i32 = row.try_get("kind").map_err(get)?;
        let state: i32 = row.try_get("state").map_err(get)?;
        let tenant: String = row.try_get("tenant_id").map_err(get)?;
        let optional = |v: Option<i64>| v.map(from_micros);
        DriftRecord {
            drift_id: row.try_get("drift_id").map_err(get)?,
            tenant_id: id("drift tenant", &tenant)?,
            baseline_id: row.try_get("baseline_id").map_err(get)?,
            entity_kind: row.try_get("entity_kind").map_err(get)?,
            match_key: row.try_get("match_key").map_err(get)?,
            object_id: row.try_get("object_id").map_err(get)?,
            display_name: row.try_get("display_name").map_err(get)?,
            kind: kind_from_code(kind).ok_or_else(|| StoreError::Corrupt {
                what: "drift kind",
                reason: format!("{kind} is not a known value"),
            })?,
            json_patch: row.try_get("json_patch").map_err(get)?,
            baseline_version: u64::try_from(row.try_get::<i64, _>("baseline_version").map_err(get)?)
                .unwrap_or_default(),
            current_version: u64::try_from(row.try_get::<i64, _>("current_version").map_err(get)?)
                .unwrap_or_default(),
            fingerprint: row.try_get("fingerprint").map_err(get)?,
            state: DriftState::from_code(state).ok_or_else(|| StoreError::Corrupt {
                what: "drift state",
                reason: format!("{state} is not a known value"),
            })?,
            state_comment: row.try_get("state_comment").map_err(get)?,
            state_changed_by: row.try_get("state_changed_by").map_err(get)?,
            state_changed_at: optional(row.try_get("state_changed_at").map_err(get)?),
            accepted_until: optional(row.try_get("accepted_until").map_err(get)?),
            changed_by: row.try_get("changed_by").map_err(get)?,
            changed_at: optional(row.try_get("changed_at").map_err(get)?),
            detected_at: from_micros(row.try_get("detected_at").map_err(get)?),
            resolved_at: optional(row.try_get("resolved_at").map_err(get)?),
        }
    }};
}
pub(super) use drift_record;

/// A page of a tenant's drift, newest first.
#[derive(Debug, Clone)]
pub struct DriftFilter {
    pub tenant_id: TenantId,
    pub baseline_id: Option<String>,
    /// Empty: every state.
    pub states: Vec<DriftState>,
    pub entity_kind: Option<String>,
    pub include_resolved: bool,
    /// Keyset cursor: (detected_at, drift_id) of the last row of the previous page.
    pub after: Option<(DateTime<Utc>, String)>,
    pub limit: u32,
}

/// An operator's verdict on one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub state: DriftState,
    pub comment: String,
    pub by: String,
    /// For ACCEPTED: when the acceptance runs out.
    pub accepted_until: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

/// What a state change found.
#[derive(Debug, Clone, PartialEq)]
pub enum StateChange {
    Changed(Box<DriftRecord>),
    NotFound,
    /// The item was resolved; there is nothing to decide.
    Resolved,
}

impl AssessmentStore {
    pub async fn list_drift(&self, f: &DriftFilter) -> Result<Vec<DriftRecord>, StoreError> {
        let (after_at, after_id) = f
            .after
            .as_ref()
            .map(|(at, id)| (micros(*at), id.clone()))
            .unwrap_or((i64::MAX, String::new()));
        // The states are the store's own codes, never request text.
        let states = if f.states.is_empty() {
            String::new()
        } else {
            let codes: Vec<String> = f.states.iter().map(|s| s.code().to_string()).collect();
            format!("AND state IN ({}) ", codes.join(", "))
        };
        let resolved = if f.include_resolved {
            ""
        } else {
            "AND resolved_at IS NULL "
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM drift_items WHERE tenant_id = $1 AND ($2 = '' OR baseline_id = $2) \
             AND ($3 = '' OR entity_kind = $3) {states}{resolved}\
             AND (detected_at < $4 OR (detected_at = $4 AND ($5 = '' OR drift_id < $5))) \
             ORDER BY detected_at DESC, drift_id DESC LIMIT $6"
        );
        let records = posture_kit::on_backend!(self.db(), |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(f.tenant_id.to_string())
                .bind(f.baseline_id.clone().unwrap_or_default())
                .bind(f.entity_kind.clone().unwrap_or_default())
                .bind(after_at)
                .bind(after_id.clone())
                .bind(i64::from(f.limit))
                .fetch_all(pool)
                .await
                .map_err(sql_error("listing drift"))?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(drift_record!(row));
            }
            out
        });
        Ok(records)
    }

    pub async fn drift(
        &self,
        tenant_id: &TenantId,
        drift_id: &str,
    ) -> Result<Option<DriftRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM drift_items WHERE tenant_id = $1 AND drift_id = $2");
        let record = posture_kit::on_backend!(self.db(), |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(tenant_id.to_string())
                .bind(drift_id)
                .fetch_optional(pool)
                .await
                .map_err(sql_error("reading drift"))?;
            match row {
                Some(row) => Some(drift_record!(&row)),
                None => None,
            }
        });
        Ok(record)
    }

    /// Records an operator's verdict on an open item.
    pub async fn update_drift_state(
        &self,
        tenant_id: &TenantId,
        drift_id: &str,
        v: &Verdict,
    ) -> Result<StateChange, StoreError> {
        let Some(item) = self.drift(tenant_id, drift_id).await? else {
            return Ok(StateChange::NotFound);
        };
        if item.resolved_at.is_some() {
            return Ok(StateChange::Resolved);
        }
        let changed = posture_kit::on_backend!(self.db(), |pool| {
            sqlx::query(
                "UPDATE drift_items SET state = $1, state_comment = $2, state_changed_by = $3, \
                 state_changed_at = $4, accepted_until = $5 WHERE tenant_id = $6 AND drift_id = $7 \
                 AND resolved_at IS NULL",
            )
            .bind(v.state.code())
            .bind(&v.comment)
            .bind(&v.by)
            .bind(micros(v.at))
            .bind(v.accepted_until.map(micros))
            .bind(tenant_id.to_string())
            .bind(drift_id)
            .execute(pool)
            .await
            .map_err(sql_error("recording a drift verdict"))?
            .rows_affected()
        });
        if changed == 0 {
            return Ok(StateChange::Resolved);
        }
        Ok(StateChange::Changed(Box::new(DriftRecord {
            state: v.state,
            state_comment: v.comment.clone(),
            state_changed_by: v.by.clone(),
            state_changed_at: Some(v.at),
            accepted_until: v.accepted_until,
            ..item
        })))
    }

    /// Open drift in state NEW of every tenant with any, for the report and the overview.
    pub async fn open_drift_count(&self, tenant_id: &TenantId) -> Result<u32, StoreError> {
        let count: (i64,) = posture_kit::on_backend!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT COUNT(*) FROM drift_items WHERE tenant_id = $1 AND resolved_at IS NULL AND state = $2",
            )
            .bind(tenant_id.to_string())
            .bind(DriftState::New.code())
            .fetch_one(pool)
            .await
            .map_err(sql_error("counting open drift"))?
        });
        Ok(u32::try_from(count.0).unwrap_or(u32::MAX))
    }
}
