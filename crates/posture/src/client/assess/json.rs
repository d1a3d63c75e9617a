//! JSON output of `posture assess` (`--output json`): assessments with their counts and scores,
//! findings with their references, the verdicts of frameworks that judge a control differently and,
//! where asked, every failing object, and the settings.

use posture_proto::v1::{Assessment, AssessmentSettings, EvidenceObject, Finding, ResultCounts};
use serde_json::json;

use super::render::{result_label, severity_label, state_label};
use crate::client::progress::timestamp_json;

pub(super) fn settings_json(s: &AssessmentSettings) -> serde_json::Value {
    json!({
        "tenant_id": s.tenant_id,
        "emergency_access_accounts": s.emergency_access_accounts,
        "parameters": s.parameters,
        "effective_parameters": s.effective_parameters,
        "updated_at": timestamp_json(s.updated_at.as_ref()),
        "updated_by": s.updated_by,
    })
}

fn result_counts_json(c: Option<&ResultCounts>) -> serde_json::Value {
    let c = c.copied().unwrap_or_default();
    json!({"passed": c.passed, "failed": c.failed, "warning": c.warning,
           "not_applicable": c.not_applicable, "error": c.error, "accepted": c.accepted})
}

pub(super) fn assessment_json(a: &Assessment) -> serde_json::Value {
    json!({
        "assessment_id": a.assessment_id,
        "tenant_id": a.tenant_id,
        "state": state_label(a.state),
        "sync_run_id": a.sync_run_id,
        "pack_version": a.pack_version,
        "counts": result_counts_json(a.counts.as_ref()),
        "scores": a.scores.iter().map(|s| json!({
            "framework": s.framework,
            "score": if s.score.is_finite() { json!(s.score) } else { serde_json::Value::Null },
            "counts": result_counts_json(s.counts.as_ref()),
        })).collect::<Vec<_>>(),
        "error": a.error.as_ref().map(|r| json!({"code": r.code, "message": r.message})),
        "requested_at": timestamp_json(a.requested_at.as_ref()),
        "completed_at": timestamp_json(a.completed_at.as_ref()),
    })
}

/// With `evidence`, the failing objects are included.
pub(super) fn finding_json(f: &Finding, evidence: bool) -> serde_json::Value {
    let mut value = json!({
        "control_id": f.control_id,
        "title": f.title,
        "severity": severity_label(f.severity),
        "result": result_label(f.result),
        "accepted": f.accepted,
        "reason": f.reason,
        "exception_ids": f.exception_ids,
        "evidence_total": f.evidence_total,
        "references": f.references.iter().map(|r| json!({
            "framework": r.framework, "version": r.framework_version, "id": r.reference_id,
        })).collect::<Vec<_>>(),
        "evaluated_at": timestamp_json(f.evaluated_at.as_ref()),
        "framework_results": f.framework_results.iter().map(|r| {
            let mut v = json!({
                "framework": r.framework, "version": r.framework_version,
                "result": result_label(r.result), "reason": r.reason,
            });
            if evidence {
                v["evidence"] = evidence_json(&r.evidence);
            }
            v
        }).collect::<Vec<_>>(),
    });
    if evidence {
        value["evidence"] = evidence_json(&f.evidence);
    }
    value
}

fn evidence_json(evidence: &[EvidenceObject]) -> serde_json::Value {
    json!(
        evidence
            .iter()
            .map(|e| {
                let o = e.object.clone().unwrap_or_default();
                json!({"entity_kind": o.entity_kind, "object_id": o.object_id, "display_name": o.display_name,
               "detail": e.detail, "accepted": e.accepted})
            })
            .collect::<Vec<_>>()
    )
}
