//! Baselines and drift in the assessment role: capturing a tenant's configuration as a
//! baseline, and detecting a tenant's drift from the baseline applied to it, after each sync
//! (a durable consumer of SyncRunCompleted of its own) and when a baseline is applied. The
//! inventory is read through the sync role's InventoryService, like everything else here.
//!
//! Who made a change comes from the tenant's directory audit log (see `attribution.rs`).

mod announce;
mod attribution;
mod consumer;

use posture_bus::outbox::OutboxMessage;
use posture_kit::clock::SharedClock;
use posture_kit::ids::TenantId;
use posture_kit::time::from_timestamp;
use posture_proto::v1 as pb;

use attribution::Attribution;
pub use consumer::DriftRunHandler;

use super::reader::{InventoryReader, ReadError};
use super::store::{AssessmentStore, Detection, PinRecord, StoreError, TargetRecord};
use crate::drift::{Comparison, ConfigObject, compare, display_name_of};

#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("pinned object {object_id} of {kind} in baseline {baseline_id} is not JSON: {reason}")]
    CorruptPin {
        baseline_id: String,
        kind: String,
        object_id: String,
        reason: String,
    },
    #[error("object {object_id} of {kind} is not valid JSON: {reason}")]
    CorruptObject {
        kind: String,
        object_id: String,
        reason: String,
    },
}

impl DetectError {
    /// Worth another try: the sync role or the database was unavailable, or a concurrent
    /// detection of the same tenant recorded first.
    pub fn is_transient(&self) -> bool {
        match self {
            DetectError::Read(e) => e.is_transient(),
            DetectError::Store(StoreError::AlreadyExists { .. }) => true,
            DetectError::Store(e) => e.is_transient(),
            DetectError::CorruptPin { .. } | DetectError::CorruptObject { .. } => false,
        }
    }
}

/// Captures baselines and detects drift.
#[derive(Clone)]
pub struct DriftDetector {
    pub store: AssessmentStore,
    pub reader: InventoryReader,
    pub clock: SharedClock,
}

impl DriftDetector {
    /// The current objects of `kinds` of a tenant as pins; removed objects are left out.
    pub async fn capture(
        &self,
        tenant_id: &TenantId,
        kinds: &[String],
    ) -> Result<Vec<PinRecord>, DetectError> {
        let mut pins = Vec::new();
        for kind in kinds {
            for object in self.reader.current_objects(tenant_id, kind).await? {
                let content = parse(kind, &object)?;
                let r = object.r#ref.unwrap_or_default();
                pins.push(PinRecord {
                    entity_kind: kind.clone(),
                    display_name: display_name_of(&content),
                    object_id: r.object_id,
                    version: object.version,
                    content_hash: object.content_hash,
                    content: object.content_json,
                });
            }
        }
        Ok(pins)
    }

    /// The configuration kinds a baseline may name.
    pub async fn configuration_kinds(&self) -> Result<Vec<String>, DetectError> {
        Ok(self.reader.configuration_kinds().await?)
    }

    /// Detects the tenant's drift from its baseline, if one is applied; `run_id` is the sync
    /// run whose data is judged (empty when a baseline was just applied).
    pub async fn detect(&self, tenant_id: &TenantId, run_id: &str) -> Result<Option<Detection>, DetectError> {
        let Some(target) = self.store.target(tenant_id).await? else {
            return Ok(None);
        };
        self.detect_for(&target, run_id).await.map(Some)
    }

    /// Detects drift of `target`'s tenant from `target`'s baseline.
    pub async fn detect_for(&self, target: &TargetRecord, run_id: &str) -> Result<Detection, DetectError> {
        let tenant_id = &target.tenant_id;
        let Some(baseline) = self.store.baseline(&target.baseline_id).await? else {
            // Deleted since: a baseline applied to a tenant cannot be, so this is a race with
            // a re-application; the next sync detects again.
            return Ok(Detection::default());
        };
        let pinned = self
            .store
            .pins(&baseline.baseline_id)
            .await?
            .into_iter()
            .map(|pin| {
                let content = serde_json::from_str(&pin.content).map_err(|e| DetectError::CorruptPin {
                    baseline_id: baseline.baseline_id.clone(),
                    kind: pin.entity_kind.clone(),
                    object_id: pin.object_id.clone(),
                    reason: e.to_string(),
                })?;
                Ok(ConfigObject {
                    entity_kind: pin.entity_kind,
                    object_id: pin.object_id,
                    display_name: pin.display_name,
                    version: pin.version,
                    content,
                    changed_at: None,
                })
            })
            .collect::<Result<Vec<_>, DetectError>>()?;
        let mut current = Vec::new();
        for kind in &baseline.entity_kinds {
            for object in self.reader.current_objects(tenant_id, kind).await? {
                let content = parse(kind, &object)?;
                let changed_at = object
                    .changed_at
                    .as_ref()
                    .and_then(|t| from_timestamp("changed_at", t).ok());
                current.push(ConfigObject {
                    entity_kind: kind.clone(),
                    object_id: object.r#ref.map(|r| r.object_id).unwrap_or_default(),
                    display_name: display_name_of(&content),
                    version: object.version,
                    content,
                    changed_at,
                });
            }
        }
        let how = Comparison {
            cross_tenant: baseline.source_tenant_id != *tenant_id,
            overrides: target.overrides.clone(),
        };
        let mut found = compare(&pinned, &current, &how);
        let latest_change = found.iter().filter_map(|d| d.changed_at).max();
        if let Some(seen) = latest_change {
            let audit = Attribution {
                reader: &self.reader,
                tenant_id,
            };
            // After a sync, the audit read that follows it is worth a short wait; when a
            // baseline is applied (an API call) the log is searched as it is.
            let searchable = run_id.is_empty() || audit.await_read_after(seen).await;
            if searchable {
                for d in &mut found {
                    if let Some(at) = d.changed_at
                        && let Some(who) = audit.who_changed(&d.object_id, at).await
                    {
                        d.changed_by = who;
                    }
                }
            }
        }
        let now = self.clock.now();
        let announce = |detection: &Detection| -> Option<OutboxMessage> {
            announce::detected(tenant_id, &baseline.baseline_id, run_id, detection, now)
        };
        let detection = self
            .store
            .record_detection(tenant_id, &baseline.baseline_id, &found, now, announce)
            .await?;
        if !detection.new.is_empty() || detection.resolved > 0 {
            tracing::info!(
                tenant = %tenant_id,
                baseline = %baseline.baseline_id,
                new = detection.new.len(),
                resolved = detection.resolved,
                open = detection.open_new,
                "drift detected"
            );
        }
        Ok(detection)
    }
}

fn parse(kind: &str, object: &pb::InventoryObject) -> Result<serde_json::Value, DetectError> {
    serde_json::from_str(&object.content_json).map_err(|e| DetectError::CorruptObject {
        kind: kind.to_owned(),
        object_id: object
            .r#ref
            .as_ref()
            .map(|r| r.object_id.clone())
            .unwrap_or_default(),
        reason: e.to_string(),
    })
}
