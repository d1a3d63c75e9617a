//! What the report template shows, computed from an assessment: the values are plain strings and
//! numbers so the template only lays them out (and escapes every one of them).

use std::collections::BTreeMap;

use serde::Serialize;

use super::portal::{PortalLink, portal_for};
use super::{DriftLine, ReportInfo, ScorePoint};
use crate::assessment::Assessment;
use crate::metadata::{ControlMetadata, Severity};
use crate::result::{ControlResult, Evidence, Status};
use crate::score::{FrameworkScore, OVERALL};

/// How many findings the executive summary names.
const TOP_RISKS: usize = 5;
/// How many earlier scores a trend lists.
const TREND_POINTS: usize = 5;

#[derive(Debug, Serialize)]
pub(super) struct Page {
    tenant_name: String,
    tenant_id: String,
    assessment_id: String,
    pack_version: String,
    assessed_at: String,
    generated_at: String,
    control_count: usize,
    banner: Vec<BannerLine>,
    scores: Vec<ScoreCard>,
    top_risks: Vec<Risk>,
    frameworks: Vec<FrameworkSection>,
    details: Vec<Detail>,
    drift: Option<DriftView>,
}

/// One thing that could not be evaluated and why.
#[derive(Debug, Serialize)]
pub(super) struct BannerLine {
    what: String,
    why: String,
    controls: Vec<String>,
}

#[derive(Debug, Serialize)]
struct ScoreCard {
    name: String,
    score: String,
    /// CSS class of the score: `pass`, `warning`, `fail` or `not_evaluated`.
    class: &'static str,
    decided: usize,
    total: usize,
    passed: usize,
    failed: usize,
    warnings: usize,
    errors: usize,
    not_applicable: usize,
    accepted: usize,
    with_accepted: String,
    trend: Option<Trend>,
}

#[derive(Debug, Serialize)]
struct Trend {
    /// `+4 points`, `-2 points`, `unchanged`.
    delta: String,
    direction: &'static str,
    since: String,
    /// The score then: `70%`.
    previous: String,
    /// Scores before that, oldest first: `58% on 2026-10-25, 62% on 2026-11-01`; empty when
    /// there were none.
    series: String,
}

#[derive(Debug, Serialize)]
struct Risk {
    id: String,
    title: String,
    severity: &'static str,
    status: &'static str,
    reason: String,
    references: Vec<String>,
    anchor: String,
}

#[derive(Debug, Serialize)]
struct FrameworkSection {
    name: String,
    anchor: String,
    score: Option<String>,
    rows: Vec<Row>,
}

#[derive(Debug, Serialize)]
struct Row {
    reference: String,
    id: String,
    title: String,
    severity: &'static str,
    status: &'static str,
    label: String,
    reason: String,
    anchor: String,
    /// The control has a card in the findings section to link to.
    detailed: bool,
}

#[derive(Debug, Serialize)]
struct Detail {
    id: String,
    title: String,
    severity: &'static str,
    status: &'static str,
    label: String,
    reason: String,
    rationale: String,
    references: Vec<String>,
    evidence: Vec<EvidenceLine>,
    by_framework: Vec<Verdict>,
    remediation: String,
    portal: Option<PortalLink>,
    anchor: String,
}

#[derive(Debug, Serialize)]
struct EvidenceLine {
    kind: String,
    id: String,
    name: String,
    detail: String,
    accepted: bool,
}

#[derive(Debug, Serialize)]
struct Verdict {
    framework: String,
    status: &'static str,
    label: &'static str,
    reason: String,
    evidence: Vec<EvidenceLine>,
}

#[derive(Debug, Serialize)]
struct DriftView {
    total: usize,
    unreviewed: usize,
    lines: Vec<DriftLine>,
}

pub(super) fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "info",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

fn status_label(status: Status) -> &'static str {
    match status {
        Status::NotApplicable => "not applicable",
        other => other.as_str(),
    }
}

fn percent(score: Option<f64>) -> String {
    score.map_or_else(|| "not scored".to_owned(), |s| format!("{:.0}%", s * 100.0))
}

/// A readable name for a pack's framework id.
pub fn framework_name(id: &str) -> String {
    if id == OVERALL {
        return "Overall".to_owned();
    }
    if id == "cisa-scuba" {
        return "CISA SCuBA baselines".to_owned();
    }
    if id == "posture" {
        return "Posture checks".to_owned();
    }
    if let Some(version) = id.strip_prefix("cis-m365-v") {
        return format!("CIS Microsoft 365 Foundations v{version}");
    }
    id.to_owned()
}

/// An HTML id from a control or framework id: tenant packs may name controls anything, so only
/// letters, digits, `-` and `_` are kept.
fn anchor(prefix: &str, id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{prefix}-{safe}")
}

/// A reference id split into numbers and text, compared part by part.
type NaturalKey = Vec<(u8, u64, String)>;

/// Orders reference ids as people read them: `5.2.2.10` after `5.2.2.9`, `MS.AAD.3.2v1` after
/// `MS.AAD.3.1v1`.
fn natural_key(reference: &str) -> NaturalKey {
    let mut key = Vec::new();
    let mut digits = String::new();
    let mut text = String::new();
    for c in reference.chars() {
        if c.is_ascii_digit() {
            if !text.is_empty() {
                key.push((1, 0, std::mem::take(&mut text)));
            }
            digits.push(c);
        } else {
            if !digits.is_empty() {
                key.push((0, digits.parse().unwrap_or(u64::MAX), String::new()));
                digits.clear();
            }
            text.push(c);
        }
    }
    if !digits.is_empty() {
        key.push((0, digits.parse().unwrap_or(u64::MAX), String::new()));
    }
    if !text.is_empty() {
        key.push((1, 0, text));
    }
    key
}

fn evidence_lines(evidence: &[Evidence]) -> Vec<EvidenceLine> {
    evidence
        .iter()
        .map(|e| EvidenceLine {
            kind: e.kind.clone(),
            id: e.id.clone(),
            // Objects without a display name carry their id as one: no need to say it twice.
            name: if e.display_name == e.id {
                String::new()
            } else {
                e.display_name.clone()
            },
            detail: e.detail.clone(),
            accepted: e.accepted,
        })
        .collect()
}

fn references(metadata: Option<&ControlMetadata>) -> Vec<String> {
    metadata.map_or_else(Vec::new, |m| {
        m.frameworks
            .iter()
            .map(|f| format!("{} {}", framework_name(&f.framework), f.reference))
            .collect()
    })
}

/// The control's result with the metadata to show it by: the pack's when `controls` has it, else
/// what the result carries.
struct Judged<'a> {
    result: &'a ControlResult,
    metadata: Option<&'a ControlMetadata>,
}

impl Judged<'_> {
    fn severity(&self) -> Severity {
        self.metadata.map_or(Severity::Info, |m| m.severity)
    }

    fn title(&self) -> &str {
        self.metadata
            .map_or(self.result.title.as_str(), |m| m.title.as_str())
    }

    /// An open finding: failing or warning and not covered by an accepted risk.
    fn open_finding(&self) -> bool {
        self.result.status.is_finding() && !self.result.accepted
    }

    fn label(&self, status: Status) -> String {
        let mut label = status_label(status).to_owned();
        if self.result.accepted && status.is_finding() {
            label.push_str(" (risk accepted)");
        }
        label
    }
}

pub(super) fn page(assessment: &Assessment, controls: &[&ControlMetadata], info: &ReportInfo) -> Page {
    let judged: Vec<Judged<'_>> = assessment
        .results
        .iter()
        .map(|result| Judged {
            result,
            metadata: controls
                .iter()
                .copied()
                .find(|m| m.id == result.control_id)
                .or(result.metadata.as_ref()),
        })
        .collect();
    let missing: Vec<&ControlMetadata> = controls
        .iter()
        .copied()
        .filter(|m| assessment.result(&m.id).is_none())
        .collect();
    let details = details(&judged);
    Page {
        tenant_name: info.tenant_display_name.clone(),
        tenant_id: assessment.tenant_id.clone(),
        assessment_id: or_unknown(&info.assessment_id),
        pack_version: or_unknown(&info.pack_version),
        assessed_at: or_unknown(&info.assessed_at),
        generated_at: or_unknown(&info.generated_at),
        control_count: judged.len() + missing.len(),
        banner: banner(&judged, &missing, &assessment.scores, &info.notes),
        scores: assessment
            .scores
            .iter()
            .map(|s| score_card(s, &info.history))
            .collect(),
        top_risks: top_risks(&judged),
        frameworks: frameworks(&judged, &missing, &assessment.scores, &details),
        details,
        drift: info.drift.as_ref().map(|lines| DriftView {
            total: lines.len(),
            unreviewed: lines.iter().filter(|d| d.state == "new").count(),
            lines: lines.clone(),
        }),
    }
}

fn or_unknown(text: &str) -> String {
    if text.is_empty() {
        "unknown".to_owned()
    } else {
        text.to_owned()
    }
}

/// What could not be evaluated: the caller's notes (e.g. the connection lacks consent), errored
/// controls grouped by their reason, controls without a result, and frameworks left without a
/// score, so a tenant nobody could read never reads as "0%".
fn banner(
    judged: &[Judged<'_>],
    missing: &[&ControlMetadata],
    scores: &[FrameworkScore],
    notes: &[String],
) -> Vec<BannerLine> {
    let mut lines: Vec<BannerLine> = notes
        .iter()
        .map(|note| BannerLine {
            what: "Connection".to_owned(),
            why: note.clone(),
            controls: Vec::new(),
        })
        .collect();
    let mut by_reason: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for j in judged.iter().filter(|j| j.result.status == Status::Error) {
        by_reason
            .entry(j.result.reason.as_str())
            .or_default()
            .push(j.result.control_id.clone());
    }
    let mut grouped: Vec<(&str, Vec<String>)> = by_reason.into_iter().collect();
    grouped.sort_by_key(|(_, ids)| std::cmp::Reverse(ids.len()));
    for (reason, controls) in grouped {
        lines.push(BannerLine {
            what: format!("{} control(s) not evaluated", controls.len()),
            why: if reason.is_empty() {
                "no reason was recorded".to_owned()
            } else {
                reason.to_owned()
            },
            controls,
        });
    }
    if !missing.is_empty() {
        lines.push(BannerLine {
            what: format!("{} control(s) without a result", missing.len()),
            why: "the assessment has no result for them (the pack changed since it ran)".to_owned(),
            controls: missing.iter().map(|m| m.id.clone()).collect(),
        });
    }
    for s in scores.iter().filter(|s| s.score.is_none()) {
        lines.push(BannerLine {
            what: format!("{}: no score", framework_name(&s.framework)),
            why: "none of its controls could be decided, so there is no score to give (not 0%)".to_owned(),
            controls: Vec::new(),
        });
    }
    lines
}

fn score_card(s: &FrameworkScore, history: &[ScorePoint]) -> ScoreCard {
    let class = match s.score {
        None => "not_evaluated",
        Some(v) if v >= 0.8 => "pass",
        Some(v) if v >= 0.5 => "warning",
        Some(_) => "fail",
    };
    ScoreCard {
        name: framework_name(&s.framework),
        score: percent(s.score),
        class,
        decided: s.passed + s.failed + s.warnings,
        total: s.passed + s.failed + s.warnings + s.errors + s.not_applicable,
        passed: s.passed,
        failed: s.failed,
        warnings: s.warnings,
        errors: s.errors,
        not_applicable: s.not_applicable,
        accepted: s.accepted,
        with_accepted: percent(s.score_accepting_exceptions),
        trend: s.score.and_then(|now| trend(&s.framework, now * 100.0, history)),
    }
}

/// The framework's earlier scores in `history`: the API names a framework without its version
/// (`cis-m365`) where the pack says `cis-m365-v7`, so either matches.
fn earlier(framework: &str, history: &[ScorePoint]) -> Vec<(String, f64)> {
    history
        .iter()
        .filter_map(|p| {
            p.scores
                .iter()
                .find(|(name, _)| {
                    name == framework
                        || framework
                            .strip_prefix(name.as_str())
                            .and_then(|rest| rest.strip_prefix("-v"))
                            .is_some_and(|v| {
                                !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.')
                            })
                })
                .map(|(_, score)| (p.at.clone(), *score))
        })
        .collect()
}

fn trend(framework: &str, now: f64, history: &[ScorePoint]) -> Option<Trend> {
    let points = earlier(framework, history);
    let (since, previous) = points.last()?.clone();
    let delta = (now - previous).round();
    let unit = if delta.abs() == 1.0 { "point" } else { "points" };
    let (text, direction) = match delta {
        d if d >= 1.0 => (format!("+{d:.0} {unit}"), "up"),
        d if d <= -1.0 => (format!("{d:.0} {unit}"), "down"),
        _ => ("unchanged".to_owned(), "flat"),
    };
    let before = &points[..points.len() - 1];
    let start = before.len().saturating_sub(TREND_POINTS);
    let series = before[start..]
        .iter()
        .map(|(at, score)| format!("{score:.0}% on {at}"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(Trend {
        delta: text,
        direction,
        since,
        previous: format!("{previous:.0}%"),
        series,
    })
}

/// Open findings, worst first: severity, then failures before warnings.
fn ranked<'a>(judged: &'a [Judged<'a>]) -> Vec<&'a Judged<'a>> {
    let mut open: Vec<&Judged<'_>> = judged.iter().filter(|j| j.open_finding()).collect();
    open.sort_by_key(|j| {
        (
            std::cmp::Reverse(j.severity()),
            j.result.status != Status::Fail,
            j.result.control_id.clone(),
        )
    });
    open
}

fn top_risks(judged: &[Judged<'_>]) -> Vec<Risk> {
    ranked(judged)
        .into_iter()
        .take(TOP_RISKS)
        .map(|j| Risk {
            id: j.result.control_id.clone(),
            title: j.title().to_owned(),
            severity: severity_name(j.severity()),
            status: j.result.status.as_str(),
            reason: j.result.reason.clone(),
            references: references(j.metadata),
            anchor: anchor("control", &j.result.control_id),
        })
        .collect()
}

/// A card for every control someone should look at: open and accepted findings (accepted ones
/// after the open ones) and the controls that could not be evaluated.
fn details(judged: &[Judged<'_>]) -> Vec<Detail> {
    let mut shown: Vec<&Judged<'_>> = ranked(judged);
    let mut accepted: Vec<&Judged<'_>> = judged
        .iter()
        .filter(|j| j.result.status.is_finding() && j.result.accepted)
        .collect();
    accepted.sort_by_key(|j| std::cmp::Reverse(j.severity()));
    shown.extend(accepted);
    shown.extend(judged.iter().filter(|j| j.result.status == Status::Error));
    shown
        .into_iter()
        .map(|j| Detail {
            id: j.result.control_id.clone(),
            title: j.title().to_owned(),
            severity: severity_name(j.severity()),
            status: j.result.status.as_str(),
            label: j.label(j.result.status),
            reason: j.result.reason.clone(),
            rationale: j.metadata.map_or_else(String::new, |m| m.rationale.clone()),
            references: references(j.metadata),
            evidence: evidence_lines(&j.result.evidence),
            by_framework: j
                .result
                .by_framework
                .iter()
                .map(|f| Verdict {
                    framework: framework_name(&f.framework),
                    status: f.status.as_str(),
                    label: status_label(f.status),
                    reason: f.reason.clone(),
                    evidence: evidence_lines(&f.evidence),
                })
                .collect(),
            remediation: j.metadata.map_or_else(String::new, |m| m.remediation.clone()),
            portal: portal_for(&j.result.control_id),
            anchor: anchor("control", &j.result.control_id),
        })
        .collect()
}

/// One section per framework the scores name (not `overall`), each control under its reference
/// id with that framework's own verdict, in reference order.
fn frameworks(
    judged: &[Judged<'_>],
    missing: &[&ControlMetadata],
    scores: &[FrameworkScore],
    details: &[Detail],
) -> Vec<FrameworkSection> {
    let mut names: Vec<String> = scores
        .iter()
        .map(|s| s.framework.clone())
        .filter(|f| f != OVERALL)
        .collect();
    for m in missing {
        for f in &m.frameworks {
            if !names.contains(&f.framework) {
                names.push(f.framework.clone());
            }
        }
    }
    let mut sections: Vec<FrameworkSection> = names
        .into_iter()
        .map(|framework| {
            let mut rows: Vec<(NaturalKey, Row)> = Vec::new();
            for j in judged {
                let Some(reference) = j
                    .metadata
                    .and_then(|m| m.frameworks.iter().find(|f| f.framework == framework))
                else {
                    continue;
                };
                let status = j.result.status_for(&framework);
                let own = j.result.by_framework.iter().find(|f| f.framework == framework);
                let anchor = anchor("control", &j.result.control_id);
                rows.push((
                    natural_key(&reference.reference),
                    Row {
                        reference: reference.reference.clone(),
                        id: j.result.control_id.clone(),
                        title: j.title().to_owned(),
                        severity: severity_name(j.severity()),
                        status: status.as_str(),
                        label: j.label(status),
                        reason: own.map_or_else(|| j.result.reason.clone(), |f| f.reason.clone()),
                        detailed: details.iter().any(|d| d.anchor == anchor),
                        anchor,
                    },
                ));
            }
            for m in missing {
                let Some(reference) = m.frameworks.iter().find(|f| f.framework == framework) else {
                    continue;
                };
                rows.push((
                    natural_key(&reference.reference),
                    Row {
                        reference: reference.reference.clone(),
                        id: m.id.clone(),
                        title: m.title.clone(),
                        severity: severity_name(m.severity),
                        status: "not_evaluated",
                        label: "not evaluated".to_owned(),
                        reason: "the assessment has no result for this control".to_owned(),
                        anchor: anchor("control", &m.id),
                        detailed: false,
                    },
                ));
            }
            rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
            FrameworkSection {
                name: framework_name(&framework),
                anchor: anchor("fw", &framework),
                score: scores
                    .iter()
                    .find(|s| s.framework == framework)
                    .map(|s| percent(s.score)),
                rows: rows.into_iter().map(|(_, r)| r).collect(),
            }
        })
        .collect();
    // Controls that reference no framework (a tenant's own pack) still get a row somewhere.
    let unreferenced: Vec<Row> = judged
        .iter()
        .filter(|j| j.metadata.is_none_or(|m| m.frameworks.is_empty()))
        .map(|j| {
            let anchor = anchor("control", &j.result.control_id);
            Row {
                reference: "-".to_owned(),
                id: j.result.control_id.clone(),
                title: j.title().to_owned(),
                severity: severity_name(j.severity()),
                status: j.result.status.as_str(),
                label: j.label(j.result.status),
                reason: j.result.reason.clone(),
                detailed: details.iter().any(|d| d.anchor == anchor),
                anchor,
            }
        })
        .collect();
    if !unreferenced.is_empty() {
        sections.push(FrameworkSection {
            name: "Other controls".to_owned(),
            anchor: "fw-other".to_owned(),
            score: None,
            rows: unreferenced,
        });
    }
    sections
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_sort_as_numbers_not_text() {
        let mut refs = vec!["5.2.2.10", "5.2.2.9", "MS.AAD.3.2v1", "MS.AAD.3.10v1", "1.1.1"];
        refs.sort_by_key(|r| natural_key(r));
        assert_eq!(
            refs,
            vec!["1.1.1", "5.2.2.9", "5.2.2.10", "MS.AAD.3.2v1", "MS.AAD.3.10v1"]
        );
    }

    #[test]
    fn api_framework_ids_without_version_match_the_pack_ids_for_the_trend() {
        let history = vec![ScorePoint {
            at: "2026-11-01".to_owned(),
            scores: vec![("cis-m365".to_owned(), 50.0), ("cisa-scuba".to_owned(), 40.0)],
        }];
        let t = trend("cis-m365-v7", 62.0, &history).expect("trend");
        assert_eq!((t.delta.as_str(), t.direction), ("+12 points", "up"));
        assert_eq!((t.previous.as_str(), t.series.as_str()), ("50%", ""));
        let longer = [
            ScorePoint {
                at: "2026-10-25".to_owned(),
                scores: vec![("cis-m365".to_owned(), 45.0)],
            },
            history[0].clone(),
        ];
        let t = trend("cis-m365-v7", 62.0, &longer).expect("trend");
        assert_eq!(
            (t.previous.as_str(), t.series.as_str()),
            ("50%", "45% on 2026-10-25")
        );
        assert!(trend("cis-m365-v7x", 62.0, &history).is_none());
        let down = trend("cisa-scuba", 30.0, &history).expect("trend");
        assert_eq!((down.delta.as_str(), down.direction), ("-10 points", "down"));
    }

    #[test]
    fn anchors_keep_only_safe_characters() {
        assert_eq!(anchor("control", "a.b\"><x"), "control-a-b---x");
    }
}
