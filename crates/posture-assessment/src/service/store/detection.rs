//! Recording one detection in one transaction: open items of the tenant's baseline are updated
//! (an accepted one reopens when its object changed again or its acceptance ran out), new
//! differences are added, the ones gone are resolved, and the announcement of what is new is
//! staged in the outbox with them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use posture_bus::outbox::{OutboxMessage, StageMessage};
use posture_kit::db::BeginWrite;
use posture_kit::ids::TenantId;
use posture_kit::time::{from_micros, micros};
use sqlx::Row as _;

use super::columns::id;
use super::database::AssessmentStore;
use super::drift::{
    COLUMNS, DETECTION_PRINCIPAL, DriftRecord, DriftState, drift_record, kind_code, kind_from_code,
};
use super::error::{StoreError, sql_error};
use crate::drift::Difference;

/// What one detection changed.
#[derive(Debug, Clone, Default)]
pub struct Detection {
    /// Items added, or reopened (NEW again), by this detection.
    pub new: Vec<DriftRecord>,
    /// Items whose object matches the baseline again.
    pub resolved: usize,
    /// Open items in state NEW after the detection, new ones included.
    pub open_new: u32,
}

fn insert_sql() -> String {
    format!(
        "INSERT INTO drift_items ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
         $15, $16, $17, $18, $19, $20, $21)"
    )
}

fn version(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl AssessmentStore {
    /// Records a detection of the tenant's drift from `baseline_id`: `found` is every difference
    /// there is now. `announce` gives the event to stage when something is new.
    pub async fn record_detection(
        &self,
        tenant_id: &TenantId,
        baseline_id: &str,
        found: &[Difference],
        now: DateTime<Utc>,
        announce: impl Fn(&Detection) -> Option<OutboxMessage>,
    ) -> Result<Detection, StoreError> {
        let select = format!(
            "SELECT {COLUMNS} FROM drift_items WHERE tenant_id = $1 AND baseline_id = $2 AND resolved_at IS NULL"
        );
        let insert = insert_sql();
        let detection = posture_kit::on_backend!(self.db(), |pool| {
            let mut tx = pool
                .begin_write()
                .await
                .map_err(sql_error("starting to record drift"))?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(select.clone()))
                .bind(tenant_id.to_string())
                .bind(baseline_id)
                .fetch_all(&mut *tx)
                .await
                .map_err(sql_error("reading open drift"))?;
            let mut open: HashMap<(String, String), DriftRecord> = HashMap::new();
            for row in &rows {
                let record = drift_record!(row);
                open.insert((record.entity_kind.clone(), record.match_key.clone()), record);
            }
            let mut detection = Detection::default();
            for d in found {
                match open.remove(&(d.entity_kind.clone(), d.match_key.clone())) {
                    Some(mut item) => {
                        let changed_again = item.fingerprint != d.fingerprint || item.kind != d.kind;
                        let ran_out = item.state == DriftState::Accepted
                            && item.accepted_until.is_some_and(|until| until <= now);
                        let reopen = item.state == DriftState::Accepted && (changed_again || ran_out);
                        if !changed_again && !reopen {
                            continue;
                        }
                        if changed_again {
                            item.kind = d.kind;
                            item.object_id = d.object_id.clone();
                            item.display_name = d.display_name.clone();
                            item.json_patch = d.json_patch.clone();
                            item.baseline_version = d.baseline_version;
                            item.current_version = d.current_version;
                            item.fingerprint = d.fingerprint.clone();
                            item.changed_at = d.changed_at;
                            item.changed_by = d.changed_by.clone();
                        }
                        if reopen {
                            item.state = DriftState::New;
                            item.state_comment = if changed_again {
                                "reopened: the object changed again".to_owned()
                            } else {
                                "reopened: the acceptance ran out".to_owned()
                            };
                            item.state_changed_by = DETECTION_PRINCIPAL.to_owned();
                            item.state_changed_at = Some(now);
                            item.accepted_until = None;
                        }
                        sqlx::query(
                            "UPDATE drift_items SET kind = $1, object_id = $2, display_name = $3, json_patch = $4, \
                             baseline_version = $5, current_version = $6, fingerprint = $7, changed_at = $8, \
                             changed_by = $9, state = $10, state_comment = $11, state_changed_by = $12, \
                             state_changed_at = $13, accepted_until = $14 WHERE drift_id = $15",
                        )
                        .bind(kind_code(item.kind))
                        .bind(&item.object_id)
                        .bind(&item.display_name)
                        .bind(&item.json_patch)
                        .bind(version(item.baseline_version))
                        .bind(version(item.current_version))
                        .bind(&item.fingerprint)
                        .bind(item.changed_at.map(micros))
                        .bind(&item.changed_by)
                        .bind(item.state.code())
                        .bind(&item.state_comment)
                        .bind(&item.state_changed_by)
                        .bind(item.state_changed_at.map(micros))
                        .bind(item.accepted_until.map(micros))
                        .bind(&item.drift_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(sql_error("updating drift"))?;
                        if reopen {
                            detection.new.push(item);
                        }
                    }
                    None => {
                        let item = DriftRecord {
                            drift_id: uuid::Uuid::new_v4().to_string(),
                            tenant_id: *tenant_id,
                            baseline_id: baseline_id.to_owned(),
                            entity_kind: d.entity_kind.clone(),
                            match_key: d.match_key.clone(),
                            object_id: d.object_id.clone(),
                            display_name: d.display_name.clone(),
                            kind: d.kind,
                            json_patch: d.json_patch.clone(),
                            baseline_version: d.baseline_version,
                            current_version: d.current_version,
                            fingerprint: d.fingerprint.clone(),
                            state: DriftState::New,
                            state_comment: String::new(),
                            state_changed_by: String::new(),
                            state_changed_at: None,
                            accepted_until: None,
                            changed_by: d.changed_by.clone(),
                            changed_at: d.changed_at,
                            detected_at: now,
                            resolved_at: None,
                        };
                        sqlx::query(sqlx::AssertSqlSafe(insert.clone()))
                            .bind(&item.drift_id)
                            .bind(item.tenant_id.to_string())
                            .bind(&item.baseline_id)
                            .bind(&item.entity_kind)
                            .bind(&item.match_key)
                            .bind(&item.object_id)
                            .bind(&item.display_name)
                            .bind(kind_code(item.kind))
                            .bind(&item.json_patch)
                            .bind(version(item.baseline_version))
                            .bind(version(item.current_version))
                            .bind(&item.fingerprint)
                            .bind(item.state.code())
                            .bind(&item.state_comment)
                            .bind(&item.state_changed_by)
                            .bind(None::<i64>)
                            .bind(None::<i64>)
                            .bind(&item.changed_by)
                            .bind(item.changed_at.map(micros))
                            .bind(micros(now))
                            .bind(None::<i64>)
                            .execute(&mut *tx)
                            .await
                            .map_err(sql_error("drift item"))?;
                        detection.new.push(item);
                    }
                }
            }
            for gone in open.values() {
                sqlx::query("UPDATE drift_items SET resolved_at = $1 WHERE drift_id = $2")
                    .bind(micros(now))
                    .bind(&gone.drift_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(sql_error("resolving drift"))?;
                detection.resolved += 1;
            }
            let open_new: (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM drift_items WHERE tenant_id = $1 AND baseline_id = $2 \
                 AND resolved_at IS NULL AND state = $3",
            )
            .bind(tenant_id.to_string())
            .bind(baseline_id)
            .bind(DriftState::New.code())
            .fetch_one(&mut *tx)
            .await
            .map_err(sql_error("counting open drift"))?;
            detection.open_new = u32::try_from(open_new.0).unwrap_or(u32::MAX);
            if let Some(message) = announce(&detection) {
                tx.stage(&message)
                    .await
                    .map_err(sql_error("staging a drift announcement"))?;
            }
            tx.commit().await.map_err(sql_error("committing drift"))?;
            detection
        });
        Ok(detection)
    }
}
