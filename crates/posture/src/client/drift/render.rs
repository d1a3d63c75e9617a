//! Tables, details and JSON for `posture drift`.

use std::fmt::Write as _;

use posture_proto::v1::{Baseline, Drift, DriftKind, DriftState};
use serde_json::json;

use crate::client::output::{Table, details};
use crate::client::progress::{shorten, timestamp_json, ts_opt};

pub fn state_label(state: i32) -> &'static str {
    match DriftState::try_from(state) {
        Ok(DriftState::New) => "new",
        Ok(DriftState::Accepted) => "accepted",
        Ok(DriftState::Denied) => "denied",
        _ => "unknown",
    }
}

pub fn kind_label(kind: i32) -> &'static str {
    match DriftKind::try_from(kind) {
        Ok(DriftKind::Changed) => "changed",
        Ok(DriftKind::Missing) => "missing",
        Ok(DriftKind::Added) => "added",
        _ => "unknown",
    }
}

fn object(d: &Drift) -> (String, String, String) {
    d.object
        .as_ref()
        .map(|o| (o.entity_kind.clone(), o.object_id.clone(), o.display_name.clone()))
        .unwrap_or_default()
}

/// The patch's changed paths, for a table cell.
fn paths(patch: &str) -> String {
    let ops: Vec<serde_json::Value> = serde_json::from_str(patch).unwrap_or_default();
    ops.iter()
        .filter_map(|op| op.get("path").and_then(|p| p.as_str()).map(str::to_owned))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn drift_table(drift: &[Drift]) -> String {
    let mut table = Table::new(vec![
        "DRIFT", "STATE", "CHANGE", "KIND", "OBJECT", "PATHS", "DETECTED",
    ]);
    for d in drift {
        let (kind, _, name) = object(d);
        table.row(vec![
            d.drift_id.clone(),
            state_label(d.state).to_owned(),
            kind_label(d.kind).to_owned(),
            kind,
            shorten(&name, 40),
            shorten(&paths(&d.json_patch), 40),
            ts_opt(d.detected_at.as_ref()),
        ]);
    }
    table.render()
}

pub fn drift_details(d: &Drift) -> String {
    let (kind, id, name) = object(d);
    let mut out = details(&[
        ("Drift", d.drift_id.clone()),
        ("Tenant", d.tenant_id.clone()),
        ("Baseline", d.baseline_id.clone()),
        ("Object", format!("{name} ({kind} {id})")),
        ("Change", kind_label(d.kind).to_owned()),
        (
            "Versions",
            format!(
                "baseline v{} -> tenant v{}",
                d.baseline_version, d.current_version
            ),
        ),
        ("Changed at", ts_opt(d.changed_at.as_ref())),
        (
            "Changed by",
            if d.changed_by.is_empty() {
                "not known".to_owned()
            } else {
                d.changed_by.clone()
            },
        ),
        ("State", state_label(d.state).to_owned()),
        ("Comment", d.state_comment.clone()),
        ("State set by", d.state_changed_by.clone()),
        ("Accepted until", ts_opt(d.accepted_until.as_ref())),
        ("Detected", ts_opt(d.detected_at.as_ref())),
        ("Resolved", ts_opt(d.resolved_at.as_ref())),
    ]);
    if !d.json_patch.is_empty() {
        let pretty = serde_json::from_str::<serde_json::Value>(&d.json_patch)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| d.json_patch.clone());
        let _ = writeln!(out, "\nPatch (baseline -> tenant):\n{pretty}");
    }
    out
}

pub fn drift_json(d: &Drift) -> serde_json::Value {
    let (kind, id, name) = object(d);
    json!({
        "drift_id": d.drift_id,
        "tenant_id": d.tenant_id,
        "baseline_id": d.baseline_id,
        "entity_kind": kind,
        "object_id": id,
        "display_name": name,
        "change": kind_label(d.kind),
        "json_patch": serde_json::from_str::<serde_json::Value>(&d.json_patch).unwrap_or(json!([])),
        "baseline_version": d.baseline_version,
        "current_version": d.current_version,
        "changed_by": d.changed_by,
        "changed_at": timestamp_json(d.changed_at.as_ref()),
        "state": state_label(d.state),
        "state_comment": d.state_comment,
        "state_changed_by": d.state_changed_by,
        "state_changed_at": timestamp_json(d.state_changed_at.as_ref()),
        "accepted_until": timestamp_json(d.accepted_until.as_ref()),
        "detected_at": timestamp_json(d.detected_at.as_ref()),
        "resolved_at": timestamp_json(d.resolved_at.as_ref()),
    })
}

pub fn baselines_table(baselines: &[Baseline]) -> String {
    let mut table = Table::new(vec![
        "BASELINE",
        "NAME",
        "SOURCE",
        "KINDS",
        "PINNED",
        "APPLIED TO",
        "CREATED",
    ]);
    for b in baselines {
        table.row(vec![
            b.baseline_id.clone(),
            shorten(&b.display_name, 30),
            b.source_tenant_id.clone(),
            b.entity_kinds.len().to_string(),
            b.pinned_count.to_string(),
            b.applied_tenant_ids.len().to_string(),
            ts_opt(b.created_at.as_ref()),
        ]);
    }
    table.render()
}

pub fn baseline_details(b: &Baseline) -> String {
    let mut out = details(&[
        ("Baseline", b.baseline_id.clone()),
        ("Name", b.display_name.clone()),
        ("Description", b.description.clone()),
        ("Source tenant", b.source_tenant_id.clone()),
        ("Kinds", b.entity_kinds.join(", ")),
        ("Applied to", b.applied_tenant_ids.join(", ")),
        ("Created by", b.created_by.clone()),
        ("Created", ts_opt(b.created_at.as_ref())),
    ]);
    for o in &b.overrides {
        let what = if o.display_name.is_empty() {
            format!("every {}", o.entity_kind)
        } else {
            format!("{} `{}`", o.entity_kind, o.display_name)
        };
        let how = if o.ignored_paths.is_empty() {
            "left out".to_owned()
        } else {
            format!("ignores {}", o.ignored_paths.join(", "))
        };
        let _ = writeln!(out, "Override: {} {what}: {how}", o.tenant_id);
    }
    let mut table = Table::new(vec!["KIND", "OBJECT", "VERSION"]);
    for p in &b.pinned {
        let (kind, name) = p
            .object
            .as_ref()
            .map(|o| (o.entity_kind.clone(), o.display_name.clone()))
            .unwrap_or_default();
        table.row(vec![kind, shorten(&name, 50), p.version.to_string()]);
    }
    let _ = write!(out, "\n{} pinned objects:\n{}", b.pinned_count, table.render());
    out
}

pub fn baseline_json(b: &Baseline) -> serde_json::Value {
    json!({
        "baseline_id": b.baseline_id,
        "display_name": b.display_name,
        "description": b.description,
        "source_tenant_id": b.source_tenant_id,
        "entity_kinds": b.entity_kinds,
        "pinned_count": b.pinned_count,
        "pinned": b.pinned.iter().map(|p| {
            let o = p.object.clone().unwrap_or_default();
            json!({
                "entity_kind": o.entity_kind,
                "object_id": o.object_id,
                "display_name": o.display_name,
                "version": p.version,
                "content_hash": p.content_hash,
            })
        }).collect::<Vec<_>>(),
        "applied_tenant_ids": b.applied_tenant_ids,
        "overrides": b.overrides.iter().map(|o| json!({
            "tenant_id": o.tenant_id,
            "entity_kind": o.entity_kind,
            "display_name": o.display_name,
            "ignored_paths": o.ignored_paths,
        })).collect::<Vec<_>>(),
        "created_by": b.created_by,
        "created_at": timestamp_json(b.created_at.as_ref()),
    })
}
