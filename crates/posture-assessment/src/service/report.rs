//! The HTML report from what the public API returns (GetAssessment, ListFindings, ListControls),
//! for clients such as the CLI: the messages are turned back into the engine's types and handed
//! to [`crate::render_html`], so both paths render the same page.

use posture_proto::v1 as pb;

use super::convert;
use crate::assessment::Assessment;
use crate::metadata::{ControlMetadata, FrameworkReference, Severity};
use crate::report::{DriftLine, ReportInfo, ScorePoint, render_report};
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
    let context = ApiReportContext {
        tenant_display_name,
        drift,
        ..ApiReportContext::default()
    };
    render_report_from_api(assessment, findings, controls, &context)
}

/// What a client read besides the assessment, for [`render_report_from_api`].
#[derive(Debug, Default, Clone, Copy)]
pub struct ApiReportContext<'a> {
    /// The tenant's display name (the connection's); the tenant id when empty.
    pub tenant_display_name: &'a str,
    /// Every page of ListDrift; `None` when drift was not read.
    pub drift: Option<&'a [pb::Drift]>,
    /// Earlier assessments of the tenant (ListAssessments, any order); only succeeded ones
    /// completed before this one count for the trend.
    pub history: &'a [pb::Assessment],
    /// Why parts of the tenant could not be read, e.g. the connection's health.
    pub notes: &'a [String],
}

/// The full customer report from what the public API returns: dates, assessment id and pack
/// version from `assessment`, the trend from `context.history`.
pub fn render_report_from_api(
    assessment: &pb::Assessment,
    findings: &[pb::Finding],
    controls: &[pb::Control],
    context: &ApiReportContext<'_>,
) -> String {
    let metadata: Vec<ControlMetadata> = controls.iter().map(metadata).collect();
    let results: Vec<ControlResult> = findings.iter().map(|f| result(f, &metadata)).collect();
    let engine = Assessment {
        tenant_id: assessment.tenant_id.clone(),
        scores: score(&results),
        results,
        duration: std::time::Duration::ZERO,
    };
    let refs: Vec<&ControlMetadata> = metadata.iter().collect();
    let name = if context.tenant_display_name.trim().is_empty() {
        assessment.tenant_id.as_str()
    } else {
        context.tenant_display_name
    };
    let info = ReportInfo {
        tenant_display_name: name.to_owned(),
        assessment_id: assessment.assessment_id.clone(),
        pack_version: assessment.pack_version.clone(),
        assessed_at: timestamp(
            assessment
                .completed_at
                .as_ref()
                .or(assessment.requested_at.as_ref()),
            "%Y-%m-%d %H:%M UTC",
        ),
        generated_at: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        history: history(assessment, context.history),
        drift: context.drift.map(|items| items.iter().map(drift_line).collect()),
        notes: context.notes.to_vec(),
    };
    render_report(&engine, &refs, &info)
}

fn timestamp(at: Option<&prost_types::Timestamp>, format: &str) -> String {
    at.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
        .map(|t| t.format(format).to_string())
        .unwrap_or_default()
}

/// The succeeded assessments completed before `current`, oldest first, as score points.
fn history(current: &pb::Assessment, earlier: &[pb::Assessment]) -> Vec<ScorePoint> {
    let until = current
        .completed_at
        .as_ref()
        .or(current.requested_at.as_ref())
        .map_or(i64::MAX, |t| t.seconds);
    let mut points: Vec<(i64, &pb::Assessment)> = earlier
        .iter()
        .filter(|a| a.assessment_id != current.assessment_id)
        .filter(|a| a.state == pb::AssessmentState::Succeeded as i32)
        .filter_map(|a| Some((a.completed_at.as_ref()?.seconds, a)))
        .filter(|(at, _)| *at <= until)
        .collect();
    points.sort_by_key(|(at, _)| *at);
    points
        .into_iter()
        .map(|(_, a)| ScorePoint {
            at: timestamp(a.completed_at.as_ref(), "%Y-%m-%d %H:%M"),
            scores: a
                .scores
                .iter()
                .filter(|s| s.counts.is_some_and(|c| c.passed + c.failed + c.warning > 0))
                .map(|s| (s.framework.clone(), s.score))
                .collect(),
        })
        .collect()
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
