//! The bundle's JSON files from the API's messages. Written out field by field (the messages have
//! no serde form) with enums by their contract names and times as RFC 3339, so an auditor reads
//! them without the protos; the same message always gives the same bytes.

use chrono::{DateTime, SecondsFormat};
use posture_proto::v1 as pb;
use prost_types::Timestamp;
use serde_json::{Value, json};

/// RFC 3339 in UTC, or null.
pub fn time(t: Option<&Timestamp>) -> Value {
    t.and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
        .map(|t| Value::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true)))
        .unwrap_or(Value::Null)
}

/// An enum value by its contract name (`CONTROL_RESULT_FAIL`); the number when unknown.
macro_rules! label {
    ($enum:ty, $value:expr) => {
        <$enum>::try_from($value)
            .map(|e| Value::String(e.as_str_name().to_owned()))
            .unwrap_or_else(|_| json!($value))
    };
}

fn counts(c: Option<&pb::ResultCounts>) -> Value {
    let c = c.copied().unwrap_or_default();
    json!({"passed": c.passed, "failed": c.failed, "warning": c.warning,
           "not_applicable": c.not_applicable, "error": c.error, "accepted": c.accepted})
}

fn reason(r: Option<&pb::FailureReason>) -> Value {
    r.map_or(Value::Null, |r| {
        json!({
            "error_class": label!(pb::ErrorClass, r.error_class),
            "code": r.code,
            "message": r.message,
            "missing_permissions": r.missing_permissions,
            "endpoint": r.endpoint,
            "http_status": r.http_status,
        })
    })
}

fn object_ref(o: Option<&pb::ObjectRef>) -> Value {
    o.map_or(
        Value::Null,
        |o| json!({"entity_kind": o.entity_kind, "object_id": o.object_id, "display_name": o.display_name}),
    )
}

fn evidence(e: &[pb::EvidenceObject]) -> Value {
    e.iter()
        .map(|e| json!({"object": object_ref(e.object.as_ref()), "detail": e.detail, "accepted": e.accepted}))
        .collect()
}

pub fn assessment(a: &pb::Assessment) -> Value {
    json!({
        "assessment_id": a.assessment_id,
        "tenant_id": a.tenant_id,
        "state": label!(pb::AssessmentState, a.state),
        "trigger": label!(pb::AssessmentTrigger, a.trigger),
        "requested_by": a.requested_by,
        "sync_run_id": a.sync_run_id,
        "pack_version": a.pack_version,
        "counts": counts(a.counts.as_ref()),
        "scores": a.scores.iter().map(|s| json!({
            "framework": s.framework,
            "score": if s.score.is_finite() { json!(s.score) } else { Value::Null },
            "counts": counts(s.counts.as_ref()),
        })).collect::<Vec<_>>(),
        "error": reason(a.error.as_ref()),
        "requested_at": time(a.requested_at.as_ref()),
        "completed_at": time(a.completed_at.as_ref()),
    })
}

pub fn finding(f: &pb::Finding) -> Value {
    json!({
        "control_id": f.control_id,
        "title": f.title,
        "severity": label!(pb::Severity, f.severity),
        "references": f.references.iter().map(|r| json!({
            "framework": r.framework, "version": r.framework_version, "id": r.reference_id,
        })).collect::<Vec<_>>(),
        "result": label!(pb::ControlResult, f.result),
        "reason": f.reason,
        "accepted": f.accepted,
        "exception_ids": f.exception_ids,
        "evidence_total": f.evidence_total,
        "evidence": evidence(&f.evidence),
        "framework_results": f.framework_results.iter().map(|r| json!({
            "framework": r.framework,
            "version": r.framework_version,
            "result": label!(pb::ControlResult, r.result),
            "reason": r.reason,
            "evidence": evidence(&r.evidence),
        })).collect::<Vec<_>>(),
        "evaluated_at": time(f.evaluated_at.as_ref()),
    })
}

pub fn exception(e: &pb::ControlException) -> Value {
    json!({
        "exception_id": e.exception_id,
        "control_id": e.control_id,
        "object_ids": e.object_ids,
        "reason": e.reason,
        "owner": e.owner,
        "expires_at": time(e.expires_at.as_ref()),
        "created_by": e.created_by,
        "created_at": time(e.created_at.as_ref()),
    })
}

pub fn drift(d: &pb::Drift) -> Value {
    let patch: Value = serde_json::from_str(&d.json_patch).unwrap_or(Value::String(d.json_patch.clone()));
    json!({
        "drift_id": d.drift_id,
        "baseline_id": d.baseline_id,
        "object": object_ref(d.object.as_ref()),
        "kind": label!(pb::DriftKind, d.kind),
        "json_patch": patch,
        "baseline_version": d.baseline_version,
        "current_version": d.current_version,
        "state": label!(pb::DriftState, d.state),
        "state_comment": d.state_comment,
        "state_changed_by": d.state_changed_by,
        "state_changed_at": time(d.state_changed_at.as_ref()),
        "accepted_until": time(d.accepted_until.as_ref()),
        "changed_by": d.changed_by,
        "changed_at": time(d.changed_at.as_ref()),
        "detected_at": time(d.detected_at.as_ref()),
        "resolved_at": time(d.resolved_at.as_ref()),
    })
}

/// The connection's last permission test: its state and, per API, each permission probed.
pub fn permission_test(c: &pb::Connection) -> Value {
    let health = c.health.clone().unwrap_or_default();
    json!({
        "tenant_id": c.tenant_id,
        "client_id": c.client_id,
        "cloud": label!(pb::Cloud, c.cloud),
        "state": label!(pb::ConnectionState, health.state),
        "reason": reason(health.reason.as_ref()),
        "checked_at": time(health.checked_at.as_ref()),
        "resources": health.resources.iter().map(|r| json!({
            "resource": label!(pb::ApiResource, r.resource),
            "state": label!(pb::ConnectionState, r.state),
            "reason": reason(r.reason.as_ref()),
            "granted_roles": r.granted_roles,
            "permissions": r.permissions.iter().map(|p| json!({
                "permission": p.permission,
                "required": p.required,
                "granted": p.granted,
                "probe_endpoint": p.probe_endpoint,
                "reason": reason(p.reason.as_ref()),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// One inventory object version as judged, its content parsed back into JSON.
pub fn object_version(kind: &str, object_id: &str, v: &pb::ObjectVersion) -> Value {
    let content: Value =
        serde_json::from_str(&v.content_json).unwrap_or(Value::String(v.content_json.clone()));
    json!({
        "entity_kind": kind,
        "object_id": object_id,
        "version": v.version,
        "content_hash": v.content_hash,
        "observed_at": time(v.observed_at.as_ref()),
        "removed": v.removed,
        "run_id": v.run_id,
        "content": content,
    })
}
