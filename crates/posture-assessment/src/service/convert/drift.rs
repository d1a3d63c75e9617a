//! Baselines and drift items as the contract's messages.

use posture_kit::time::timestamp;
use posture_proto::v1 as pb;

use crate::service::store::{BaselineRecord, DriftRecord, PinRecord, kind_code};

/// A baseline; its pins are listed when given (GetBaseline, CreateBaseline), counted always.
pub fn baseline(b: &BaselineRecord, pins: Option<&[PinRecord]>) -> pb::Baseline {
    pb::Baseline {
        baseline_id: b.baseline_id.clone(),
        display_name: b.display_name.clone(),
        description: b.description.clone(),
        source_tenant_id: b.source_tenant_id.to_string(),
        entity_kinds: b.entity_kinds.clone(),
        pinned: pins
            .unwrap_or_default()
            .iter()
            .map(|p| pb::PinnedVersion {
                object: Some(pb::ObjectRef {
                    entity_kind: p.entity_kind.clone(),
                    object_id: p.object_id.clone(),
                    display_name: p.display_name.clone(),
                }),
                version: p.version,
                content_hash: p.content_hash.clone(),
            })
            .collect(),
        pinned_count: pins.map_or(b.pinned_count, |p| u32::try_from(p.len()).unwrap_or(u32::MAX)),
        applied_tenant_ids: b.targets.iter().map(|t| t.tenant_id.to_string()).collect(),
        created_by: b.created_by.clone(),
        created_at: Some(timestamp(b.created_at)),
        overrides: b
            .targets
            .iter()
            .flat_map(|t| {
                t.overrides.iter().map(|o| pb::BaselineOverride {
                    tenant_id: t.tenant_id.to_string(),
                    entity_kind: o.entity_kind.clone(),
                    display_name: o.display_name.clone(),
                    ignored_paths: o.ignored_paths.clone(),
                })
            })
            .collect(),
    }
}

pub fn drift(d: &DriftRecord) -> pb::Drift {
    pb::Drift {
        drift_id: d.drift_id.clone(),
        tenant_id: d.tenant_id.to_string(),
        baseline_id: d.baseline_id.clone(),
        object: Some(pb::ObjectRef {
            entity_kind: d.entity_kind.clone(),
            object_id: d.object_id.clone(),
            display_name: d.display_name.clone(),
        }),
        kind: kind_code(d.kind),
        json_patch: if d.json_patch == "[]" {
            String::new()
        } else {
            d.json_patch.clone()
        },
        baseline_version: d.baseline_version,
        current_version: d.current_version,
        state: d.state.code(),
        state_comment: d.state_comment.clone(),
        state_changed_by: d.state_changed_by.clone(),
        state_changed_at: d.state_changed_at.map(timestamp),
        detected_at: Some(timestamp(d.detected_at)),
        resolved_at: d.resolved_at.map(timestamp),
        changed_by: d.changed_by.clone(),
        accepted_until: d.accepted_until.map(timestamp),
        changed_at: d.changed_at.map(timestamp),
    }
}
