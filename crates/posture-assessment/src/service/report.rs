//! The HTML report from what the public API returns (GetAssessment, ListFindings, ListControls),
//! for clients such as the CLI: the messages are turned back into the engine's types and handed
//! to [`crate::render_html`], so both paths render the same page.

use posture_proto::v1 as pb;

use super::convert;
use crate::assessment::Assessment;
use crate::metadata::{ControlMetadata, FrameworkReference, Severity};
use crate::report::{DriftLine, render_html_with_drift};
use crate::result::{ControlResult, Evidence, FrameworkResult};
use crate::score::score;

/// The pack's framework id from the contract's id and version (`cis-m365`, `7` → `cis-m365-v7`).
fn pack_framework(r: &pb::FrameworkReference) -> String {
    if r.framework_version.is_empty() {
        r.framework.clone()
    } else {
        format!("{}-v{}", r.framework, r.framework_version)
    }
}

/// A message's severity for the report; an unspecified one reads as informational.
fn report_severity(severity: i32) -> Severity {
    pb::Severity::try_from(severity)
        .ok()
        .and_then(convert::engine_severity)
        .unwrap_or(Severity::Info)
}

fn references(refs: &[pb::FrameworkReference]) -> Vec<FrameworkReference> {
    refs.iter()
        .map(|r| FrameworkReference {
            framework: pack_framework(r),
            reference: r.reference_id.clone(),
        })
        .collect()
}

fn metadata(c: &pb::Control) -> ControlMetadata {
    ControlMetadata {
        id: c.control_id.clone(),
        title: c.title.clone(),
        severity: report_severity(c.severity),
        frameworks: references(&c.references),
        rationale: c.rationale.clone(),
        remediation: c.remediation.clone(),
        required_collections: c.entity_kinds.clone(),
        reads_items: None,
        licence: None,
    }
}

fn evidence_of(e: &pb::EvidenceObject) -> Evidence {
    let object = e.object.clone().unwrap_or_default();
    Evidence {
        kind: object.entity_kind,
        id: object.object_id,
        display_name: object.display_name,
        detail: e.detail.clone(),
        accepted: e.accepted,
    }
}

fn result(f: &pb::Finding, controls: &[ControlMetadata]) -> ControlResult {
    let metadata = controls
        .iter()
        .find(|m| m.id == f.control_id)
        .cloned()
        .unwrap_or_else(|| ControlMetadata {
            id: f.control_id.clone(),
            title: f.title.clone(),
            severity: report_severity(f.severity),
            frameworks: references(&f.references),
            rationale: String::new(),
            remediation: String::new(),
            required_collections: Vec::new(),
            reads_items: None,
            licence: None,
        });
    let mut evidence: Vec<Evidence> = f.evidence.iter().map(evidence_of).collect();
    let shown = u32::try_from(evidence.len()).unwrap_or(u32::MAX);
    if f.evidence_total > shown {
        evidence.push(Evidence {
            kind: String::new(),
            id: String::new(),
            display_name: String::new(),
            detail: format!("and {} more objects", f.evidence_total - shown),
            accepted: false,
        });
    }
    let by_framework = f
        .framework_results
        .iter()
        .map(|r| FrameworkResult {
            framework: pack_framework(&pb::FrameworkReference {
                framework: r.framework.clone(),
                framework_version: r.framework_version.clone(),
                reference_id: String::new(),
            }),
            status: convert::status(pb::ControlResult::try_from(r.result).unwrap_or_default()),
            reason: r.reason.clone(),
            evidence: r.evidence.iter().map(evidence_of).collect(),
        })
        .collect();
    ControlResult {
        control_id: f.control_id.clone(),
        title: f.title.clone(),
        metadata: Some(metadata),
        status: convert::status(pb::ControlResult::try_from(f.result).unwrap_or_default()),
        reason: f.reason.clone(),
        evidence,
        by_framework,
        accepted: f.accepted,
        exceptions: Vec::new(),
        duration: std::time::Duration::ZERO,
    }
}

/// Renders the report of `assessment` from its `findings` (every page of ListFindings) and the
/// pack's `controls` (ListControls), headed with the tenant id. Scores are recomputed from the
/// findings, so they include the score with accepted risks that the API does not carry.
pub fn render_html_from_api(
    assessment: &pb::Assessment,
    findings: &[pb::Finding],
    controls: &[pb::Control],
) -> String {
    render_html_from_api_named(assessment, findings, controls, &assessment.tenant_id)
}

/// [`render_html_from_api`] headed with the tenant's display name.
pub fn render_html_from_api_named(
    assessment: &pb::Assessment,
    findings: &[pb::Finding],
    controls: &[pb::Control],
    tenant_display_name: &str,
) -> String {
    render_html_from_api_with_drift(assessment, findings, controls, tenant_display_name, None)
}

/// [`render_html_from_api_named`] with a section of the tenant's open drift (every page of
/// ListDrift); `None` when drift was not read (a server without DriftService).
pub fn render_html_from_api_with_drift(
    assessment: &pb::Assessment,
    findings: &[pb::Finding],
    controls: &[pb::Control],
    tenant_display_name: &str,
    drift: Option<&[pb::Drift]>,
) -> String {
    let lines: Option<Vec<DriftLine>> = drift.map(|items| items.iter().map(drift_line).collect());
    let metadata: Vec<ControlMetadata> = controls.iter().map(metadata).collect();
    let results: Vec<ControlResult> = findings.iter().map(|f| result(f, &metadata)).collect();
    let engine = Assessment {
        tenant_id: assessment.tenant_id.clone(),
        scores: score(&results),
        results,
        duration: std::time::Duration::ZERO,
    };
    let refs: Vec<&ControlMetadata> = metadata.iter().collect();
    render_html_with_drift(&engine, &refs, tenant_display_name, lines.as_deref())
}

fn drift_line(d: &pb::Drift) -> DriftLine {
    let object = d.object.clone().unwrap_or_default();
    let change = match pb::DriftKind::try_from(d.kind) {
        Ok(pb::DriftKind::Changed) => "changed",
        Ok(pb::DriftKind::Missing) => "missing",
        Ok(pb::DriftKind::Added) => "added",
        _ => "unknown",
    };
    let state = match pb::DriftState::try_from(d.state) {
        Ok(pb::DriftState::New) => "new",
        Ok(pb::DriftState::Accepted) => "accepted",
        Ok(pb::DriftState::Denied) => "denied",
        _ => "unknown",
    };
    DriftLine {
        entity_kind: object.entity_kind,
        display_name: if object.display_name.is_empty() {
            object.object_id
        } else {
            object.display_name
        },
        change: change.to_owned(),
        state: state.to_owned(),
        json_patch: d.json_patch.clone(),
        detected_at: d
            .detected_at
            .as_ref()
            .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default(),
    }
}
