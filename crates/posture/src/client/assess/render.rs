//! Terminal rendering of assessments: the header with a score per framework, the control results
//! table, findings with their failing objects, and the assessment settings.

use std::fmt::Write as _;

use posture_proto::v1::{
    Assessment, AssessmentSettings, AssessmentState, ControlResult, EvidenceObject, Finding, ResultCounts,
    Severity,
};

use crate::client::health::reason_text;
use crate::client::output::{Table, framework_short};
use crate::client::progress::{shorten, ts_opt};

/// Evidence lines printed per finding in a table; the JSON output carries all of them.
const EVIDENCE_SHOWN: usize = 10;

pub(super) fn settings_text(s: &AssessmentSettings) -> String {
    let mut out = String::new();
    let accounts = if s.emergency_access_accounts.is_empty() {
        "none declared".to_owned()
    } else {
        s.emergency_access_accounts.join(", ")
    };
    let _ = writeln!(out, "Emergency-access accounts: {accounts}");
    let mut table = Table::new(vec!["PARAMETER", "VALUE", "SOURCE"]);
    let mut names: Vec<&String> = s.effective_parameters.keys().collect();
    names.sort();
    for name in names {
        let source = if s.parameters.contains_key(name) {
            "override"
        } else {
            "default"
        };
        table.row(vec![
            name.clone(),
            s.effective_parameters[name].to_string(),
            source.into(),
        ]);
    }
    out.push_str(&table.render());
    if s.updated_at.is_some() {
        let _ = writeln!(out, "Saved {} by {}", ts_opt(s.updated_at.as_ref()), s.updated_by);
    }
    out
}

pub(super) fn result_label(result: i32) -> &'static str {
    match ControlResult::try_from(result).unwrap_or(ControlResult::Unspecified) {
        ControlResult::Unspecified => "unknown",
        ControlResult::Pass => "pass",
        ControlResult::Fail => "fail",
        ControlResult::Warning => "warning",
        ControlResult::NotApplicable => "n/a",
        ControlResult::Error => "error",
    }
}

pub(crate) fn severity_label(severity: i32) -> &'static str {
    match Severity::try_from(severity).unwrap_or(Severity::Unspecified) {
        Severity::Unspecified => "-",
        Severity::Informational => "info",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

pub(super) fn state_label(state: i32) -> &'static str {
    match AssessmentState::try_from(state).unwrap_or(AssessmentState::Unspecified) {
        AssessmentState::Unspecified => "unknown",
        AssessmentState::Pending => "pending",
        AssessmentState::Running => "running",
        AssessmentState::Succeeded => "succeeded",
        AssessmentState::Failed => "failed",
    }
}

/// `fail (accepted)` when exceptions cover it: the live result stays visible.
/// The result, then the verdict of each framework that judges the control differently, e.g.
/// `fail; cis-m365: warning`.
fn counts_text(c: &ResultCounts) -> String {
    format!(
        "{} passed, {} failed, {} warning, {} n/a, {} error, {} accepted",
        c.passed, c.failed, c.warning, c.not_applicable, c.error, c.accepted
    )
}

/// The assessment's header: id, when, what it judged, counts, and a score line per framework.
pub fn assessment_text(a: &Assessment) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Assessment {} ({}), completed {}",
        a.assessment_id,
        state_label(a.state),
        ts_opt(a.completed_at.as_ref()),
    );
    let _ = writeln!(out, "Pack {}, sync run {}", a.pack_version, a.sync_run_id);
    let _ = writeln!(out, "Controls: {}", counts_text(&a.counts.unwrap_or_default()));
    if let Some(error) = &a.error {
        let _ = writeln!(out, "Error: {}", reason_text(Some(error)));
    }
    if !a.scores.is_empty() {
        let mut table = Table::new(vec!["FRAMEWORK", "SCORE", "PASS", "FAIL", "WARN", "N/A", "ERROR"]);
        for s in &a.scores {
            let c = s.counts.unwrap_or_default();
            table.row(vec![
                s.framework.clone(),
                score_text(s.score),
                c.passed.to_string(),
                c.failed.to_string(),
                c.warning.to_string(),
                c.not_applicable.to_string(),
                c.error.to_string(),
            ]);
        }
        out.push('\n');
        out.push_str(&table.render());
    }
    out
}

/// A score outside 0..=100 (or NaN) from the server is shown as `-`, not as a made-up number.
fn score_text(score: f64) -> String {
    if (0.0..=100.0).contains(&score) {
        format!("{score:.1}%")
    } else {
        "-".into()
    }
}

/// Terminal width the control table fits.
const WIDTH: usize = 120;

/// The result, with each framework that judges differently: `fail (CIS warning)`.
fn status_cell(f: &Finding) -> String {
    let mut text = result_label(f.result).to_owned();
    if f.accepted {
        text.push_str(" (accepted)");
    }
    for r in &f.framework_results {
        let _ = write!(
            text,
            " ({} {})",
            framework_short(&r.framework),
            result_label(r.result)
        );
    }
    text
}

/// Words of `text` in lines of at most `width` characters (a longer word is cut).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let word = shorten(word, width);
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// One row per control within 120 columns: id, severity, result (with any framework that judges
/// differently) and the whole reason, wrapped under its column. Titles are in `controls show`.
pub fn controls_table(findings: &[Finding]) -> String {
    let id_width = findings
        .iter()
        .map(|f| f.control_id.chars().count())
        .max()
        .unwrap_or(0)
        .clamp("CONTROL".len(), 46);
    let status_width = findings
        .iter()
        .map(|f| status_cell(f).chars().count())
        .max()
        .unwrap_or(0)
        .clamp("RESULT".len(), 26);
    let severity_width = "SEVERITY".len();
    let reason_width = WIDTH - id_width - severity_width - status_width - 6;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<id_width$}  {:<severity_width$}  {:<status_width$}  REASON",
        "CONTROL", "SEVERITY", "RESULT"
    );
    for f in findings {
        let reason = wrap(&f.reason, reason_width);
        for (i, line) in reason.iter().enumerate() {
            let row = if i == 0 {
                format!(
                    "{:<id_width$}  {:<severity_width$}  {:<status_width$}  {line}",
                    shorten(&f.control_id, id_width),
                    severity_label(f.severity),
                    shorten(&status_cell(f), status_width),
                )
            } else {
                format!(
                    "{:indent$}{line}",
                    "",
                    indent = id_width + severity_width + status_width + 6
                )
            };
            let _ = writeln!(out, "{}", row.trim_end());
        }
    }
    out
}

/// The findings table, then each finding's failing objects (the first few; JSON has all), and the
/// verdict of each framework that judges the control differently.
pub(super) fn findings_text(findings: &[Finding]) -> String {
    let mut out = controls_table(findings);
    for f in findings {
        if !f.evidence.is_empty() {
            let _ = writeln!(
                out,
                "\n{} — {} failing object(s):",
                f.control_id, f.evidence_total
            );
            evidence_lines(&mut out, &f.evidence, f.evidence_total);
        }
        for r in &f.framework_results {
            let framework = if r.framework_version.is_empty() {
                r.framework.clone()
            } else {
                format!("{} v{}", r.framework, r.framework_version)
            };
            let _ = writeln!(
                out,
                "\n{} — {framework} judges it {}: {}",
                f.control_id,
                result_label(r.result),
                r.reason
            );
            let total = u32::try_from(r.evidence.len()).unwrap_or(u32::MAX);
            evidence_lines(&mut out, &r.evidence, total);
        }
    }
    out
}

fn evidence_lines(out: &mut String, evidence: &[EvidenceObject], evidence_total: u32) {
    for e in evidence.iter().take(EVIDENCE_SHOWN) {
        let (kind, id, name) = e.object.as_ref().map_or(("", "", ""), |o| {
            (
                o.entity_kind.as_str(),
                o.object_id.as_str(),
                o.display_name.as_str(),
            )
        });
        let mut line = format!("  {kind}/{id}");
        if !name.is_empty() {
            let _ = write!(line, " ({name})");
        }
        if !e.detail.is_empty() {
            let _ = write!(line, ": {}", e.detail);
        }
        if e.accepted {
            line.push_str(" [accepted]");
        }
        let _ = writeln!(out, "{line}");
    }
    let total = usize::try_from(evidence_total)
        .unwrap_or(usize::MAX)
        .max(evidence.len());
    if total > EVIDENCE_SHOWN.min(evidence.len()) {
        let shown = EVIDENCE_SHOWN.min(evidence.len());
        let _ = writeln!(out, "  … and {} more (see --output json)", total - shown);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::assess::json::{assessment_json, finding_json};
    use posture_proto::v1::{FrameworkResult, FrameworkScore, ObjectRef};

    fn finding(control: &str, result: ControlResult, accepted: bool) -> Finding {
        Finding {
            control_id: control.into(),
            title: "MFA is required for every user".into(),
            severity: Severity::High as i32,
            result: result as i32,
            reason: "2 users are excluded".into(),
            accepted,
            ..Default::default()
        }
    }

    #[test]
    fn accepted_findings_keep_their_live_status_with_a_marker() {
        let table = controls_table(&[
            finding("MS.AAD.3.2v2", ControlResult::Fail, true),
            finding("MS.AAD.1.1v1", ControlResult::Pass, false),
        ]);
        let lines: Vec<_> = table.lines().collect();
        assert!(lines[0].starts_with("CONTROL"), "{table}");
        assert!(
            lines[1].starts_with("MS.AAD.3.2v2  high") && lines[1].contains("fail (accepted)"),
            "{table}"
        );
        assert!(table.lines().all(|l| l.chars().count() <= 120), "{table}");
        assert!(
            lines[2].contains("pass") && !lines[2].contains("accepted"),
            "{table}"
        );
    }

    #[test]
    fn long_reasons_wrap_under_their_column_and_framework_verdicts_are_named() {
        let mut long = finding(
            "entra.roles.no-permanent-active-assignments",
            ControlResult::Fail,
            false,
        );
        long.reason = "5 permanent active assignments to privileged roles outside the emergency-access accounts: \
                       Global Administrator (Ann, Bo), Exchange Administrator (Cy), SharePoint Administrator (Di, Ed)"
            .into();
        long.framework_results = vec![posture_proto::v1::FrameworkResult {
            framework: "cis-m365".into(),
            result: ControlResult::Warning as i32,
            ..Default::default()
        }];
        let table = controls_table(&[long]);
        let lines: Vec<_> = table.lines().collect();
        assert!(lines.iter().all(|l| l.chars().count() <= 120), "{table}");
        assert!(lines[1].contains("fail (CIS warning)"), "{table}");
        assert!(
            lines.len() >= 3,
            "the reason continues on the next line:\n{table}"
        );
        let column = lines[0].find("REASON").expect("a reason column");
        assert!(lines[2][..column].trim().is_empty(), "{table}");
        assert!(
            table.contains("(Di, Ed)"),
            "nothing of the reason is cut: {table}"
        );
    }

    #[test]
    fn assessment_header_shows_counts_and_a_score_per_framework() {
        let a = Assessment {
            assessment_id: "a1".into(),
            state: AssessmentState::Succeeded as i32,
            counts: Some(ResultCounts {
                passed: 8,
                failed: 2,
                ..Default::default()
            }),
            scores: vec![
                FrameworkScore {
                    framework: "cis-m365".into(),
                    score: 80.0,
                    counts: None,
                },
                FrameworkScore {
                    framework: "cisa-scuba".into(),
                    score: f64::NAN,
                    counts: None,
                },
            ],
            ..Default::default()
        };
        let text = assessment_text(&a);
        assert!(text.contains("Controls: 8 passed, 2 failed"), "{text}");
        assert!(text.contains("cis-m365    80.0%"), "{text}");
        assert!(text.contains("cisa-scuba  -"), "{text}");
        assert_eq!(assessment_json(&a)["scores"][1]["score"], serde_json::Value::Null);
    }

    #[test]
    fn findings_list_evidence_refs_and_say_how_many_are_not_shown() {
        let mut f = finding("MS.AAD.3.2v2", ControlResult::Fail, false);
        f.evidence = (0..12)
            .map(|i| EvidenceObject {
                object: Some(ObjectRef {
                    entity_kind: "users".into(),
                    object_id: format!("u{i}"),
                    display_name: if i == 0 { "Adele".into() } else { String::new() },
                }),
                detail: "excluded from the MFA policy".into(),
                accepted: i == 1,
            })
            .collect();
        f.evidence_total = 40;
        let text = findings_text(&[f.clone()]);
        assert!(text.contains("MS.AAD.3.2v2 — 40 failing object(s):"), "{text}");
        assert!(
            text.contains("  users/u0 (Adele): excluded from the MFA policy\n"),
            "{text}"
        );
        assert!(
            text.contains("  users/u1: excluded from the MFA policy [accepted]\n"),
            "{text}"
        );
        assert!(!text.contains("users/u10"), "{text}");
        assert!(text.contains("… and 30 more"), "{text}");
        let value = finding_json(&f, true);
        assert_eq!(value["evidence"].as_array().map(Vec::len), Some(12));
        assert_eq!(value["evidence"][1]["accepted"], true);
        assert_eq!(value["result"], "fail");
        assert!(finding_json(&f, false).get("evidence").is_none());
    }

    #[test]
    fn findings_show_each_framework_that_judges_the_control_differently() {
        let mut f = finding("entra.ca.mfa-all-users", ControlResult::Fail, false);
        f.framework_results = vec![FrameworkResult {
            framework: "cis-m365".into(),
            framework_version: "7".into(),
            result: ControlResult::Warning as i32,
            reason: "CIS treats the exclusions as documented exceptions to review".into(),
            evidence: vec![EvidenceObject {
                object: Some(ObjectRef {
                    entity_kind: "groups".into(),
                    object_id: "g1".into(),
                    display_name: String::new(),
                }),
                detail: "excluded from Require MFA".into(),
                accepted: false,
            }],
        }];
        let text = findings_text(std::slice::from_ref(&f));
        assert!(text.contains("fail (CIS warning)"), "{text}");
        assert!(
            text.contains(
                "entra.ca.mfa-all-users — cis-m365 v7 judges it warning: CIS treats the exclusions"
            ),
            "{text}"
        );
        assert!(
            text.contains("  groups/g1: excluded from Require MFA\n"),
            "{text}"
        );
        let value = finding_json(&f, true);
        assert_eq!(value["framework_results"][0]["result"], "warning");
        assert_eq!(value["framework_results"][0]["version"], "7");
        assert_eq!(value["framework_results"][0]["evidence"][0]["object_id"], "g1");
        let brief = finding_json(&f, false);
        assert!(brief["framework_results"][0].get("evidence").is_none());
    }

    #[test]
    fn unknown_enum_values_from_the_server_render_as_unknown() {
        assert_eq!(result_label(42), "unknown");
        assert_eq!(severity_label(-1), "-");
        assert_eq!(state_label(9), "unknown");
    }
}
