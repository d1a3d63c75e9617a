//! `posture assess …`: a tenant's assessment (scores per framework, result per control) and its
//! findings with the failing objects as evidence.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use posture_proto::v1::assessment_service_client::AssessmentServiceClient;
use posture_proto::v1::{
    Assessment, AssessmentSettings, AssessmentState, Control, ControlResult, Finding, GetAssessmentRequest,
    GetAssessmentSettingsRequest, GetLatestAssessmentRequest, ListControlsRequest, ListFindingsRequest,
    ResultCounts, Severity, StartAssessmentRequest, UpdateAssessmentSettingsRequest,
};
use serde_json::json;

use super::output::{OutputFormat, Table, print_json};
use super::progress::{explain_missing, shorten, timestamp_json, ts_opt};
use super::{AuthedChannel, GatewayArgs, status::explain};

#[derive(Subcommand, Debug)]
pub enum AssessCommand {
    /// Scores per framework, counts per result and every control's result.
    Show {
        tenant_id: String,
        /// A given assessment (default: the latest succeeded one).
        #[arg(long)]
        assessment_id: Option<String>,
    },
    /// Findings of the latest (or a given) assessment with their failing objects.
    Findings(FindingsArgs),
    /// Assess a tenant's current inventory now (one also runs after every completed sync).
    Run {
        tenant_id: String,
        /// Return once the assessment is queued instead of waiting for its result.
        #[arg(long)]
        no_wait: bool,
    },
    /// A tenant's assessment settings: emergency-access accounts and parameter overrides.
    Settings {
        #[command(subcommand)]
        command: SettingsCommand,
    },
    /// Write the latest (or a given) assessment as a self-contained HTML report.
    Report {
        tenant_id: String,
        #[arg(long)]
        assessment_id: Option<String>,
        /// Where to write the report.
        #[arg(long, default_value = "posture-report.html")]
        out: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum SettingsCommand {
    /// The saved settings and every parameter as assessments use it.
    Show { tenant_id: String },
    /// Replace the settings (later assessments use them). Admin keys only.
    Set {
        tenant_id: String,
        /// Object id of an emergency-access (break-glass) account or of a group holding only them
        /// (repeatable; the list given replaces the saved one).
        #[arg(long = "emergency-account")]
        emergency_accounts: Vec<String>,
        /// A parameter override NAME=VALUE, e.g. `stale_days=60` (repeatable; replaces the saved
        /// overrides, so none restores every default).
        #[arg(long = "param", value_parser = parse_parameter)]
        parameters: Vec<(String, f64)>,
    },
}

fn parse_parameter(text: &str) -> Result<(String, f64), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, got `{text}`"))?;
    let value: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("`{value}` is not a number"))?;
    Ok((name.trim().to_owned(), value))
}

#[derive(clap::Args, Debug)]
pub struct FindingsArgs {
    pub tenant_id: String,
    #[arg(long)]
    pub assessment_id: Option<String>,
    /// Only these results (comma separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub status: Vec<ResultArg>,
    /// Only findings of at least this severity.
    #[arg(long, value_enum)]
    pub severity: Option<SeverityArg>,
    /// Only controls referencing this framework, e.g. `cis-m365`, `cisa-scuba`.
    #[arg(long)]
    pub framework: Option<String>,
    /// Only this control.
    #[arg(long)]
    pub control: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ResultArg {
    Pass,
    Fail,
    Warning,
    NotApplicable,
    Error,
}

impl From<ResultArg> for ControlResult {
    fn from(value: ResultArg) -> Self {
        match value {
            ResultArg::Pass => Self::Pass,
            ResultArg::Fail => Self::Fail,
            ResultArg::Warning => Self::Warning,
            ResultArg::NotApplicable => Self::NotApplicable,
            ResultArg::Error => Self::Error,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum SeverityArg {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl From<SeverityArg> for Severity {
    fn from(value: SeverityArg) -> Self {
        match value {
            SeverityArg::Informational => Self::Informational,
            SeverityArg::Low => Self::Low,
            SeverityArg::Medium => Self::Medium,
            SeverityArg::High => Self::High,
            SeverityArg::Critical => Self::Critical,
        }
    }
}

/// Evidence lines printed per finding in a table; the JSON output carries all of them.
const EVIDENCE_SHOWN: usize = 10;

pub async fn run(command: AssessCommand, gateway: &GatewayArgs) -> anyhow::Result<i32> {
    let mut client = AssessmentServiceClient::new(gateway.connect().await?);
    let format = gateway.output;
    match command {
        AssessCommand::Show {
            tenant_id,
            assessment_id,
        } => {
            let (assessment, findings) = with_findings(&mut client, tenant_id, assessment_id).await?;
            match format {
                OutputFormat::Json => print_json(&json!({
                    "assessment": assessment_json(&assessment),
                    "findings": findings.iter().map(|f| finding_json(f, false)).collect::<Vec<_>>(),
                }))?,
                OutputFormat::Table => {
                    out!("{}\n{}", assessment_text(&assessment), controls_table(&findings));
                }
            }
            Ok(0)
        }
        AssessCommand::Run { tenant_id, no_wait } => {
            let started = client
                .start_assessment(StartAssessmentRequest {
                    tenant_id: tenant_id.clone(),
                })
                .await
                .map_err(|s| explain("starting the assessment", s))?
                .into_inner()
                .assessment
                .context("the server returned no assessment")?;
            let assessment = if no_wait {
                started
            } else {
                wait_for(&mut client, &tenant_id, &started.assessment_id).await?
            };
            match format {
                OutputFormat::Json => print_json(&assessment_json(&assessment))?,
                OutputFormat::Table => out!("{}", assessment_text(&assessment)),
            }
            Ok(if assessment.state == AssessmentState::Failed as i32 {
                1
            } else {
                0
            })
        }
        AssessCommand::Settings { command } => {
            let settings = match command {
                SettingsCommand::Show { tenant_id } => {
                    client
                        .get_assessment_settings(GetAssessmentSettingsRequest { tenant_id })
                        .await
                        .map_err(|s| explain("reading the assessment settings", s))?
                        .into_inner()
                        .settings
                }
                SettingsCommand::Set {
                    tenant_id,
                    emergency_accounts,
                    parameters,
                } => {
                    client
                        .update_assessment_settings(UpdateAssessmentSettingsRequest {
                            tenant_id,
                            emergency_access_accounts: emergency_accounts,
                            parameters: parameters.into_iter().collect(),
                        })
                        .await
                        .map_err(|s| explain("saving the assessment settings", s))?
                        .into_inner()
                        .settings
                }
            }
            .context("the server returned no settings")?;
            match format {
                OutputFormat::Json => print_json(&settings_json(&settings))?,
                OutputFormat::Table => out!("{}", settings_text(&settings)),
            }
            Ok(0)
        }
        AssessCommand::Report {
            tenant_id,
            assessment_id,
            out,
        } => {
            let (assessment, findings) = with_findings(&mut client, tenant_id, assessment_id).await?;
            let controls = all_controls(&mut client).await?;
            let html = posture_assessment::render_html_from_api(&assessment, &findings, &controls);
            std::fs::write(&out, html).with_context(|| format!("cannot write {}", out.display()))?;
            match format {
                OutputFormat::Json => print_json(&json!({"report": out.display().to_string()}))?,
                OutputFormat::Table => outln!("Report written to {}", out.display()),
            }
            Ok(0)
        }
        AssessCommand::Findings(args) => {
            let request = ListFindingsRequest {
                tenant_id: args.tenant_id,
                assessment_id: args.assessment_id.unwrap_or_default(),
                control_id: args.control.unwrap_or_default(),
                results: args
                    .status
                    .into_iter()
                    .map(|r| ControlResult::from(r) as i32)
                    .collect(),
                min_severity: args.severity.map_or(0, |s| Severity::from(s) as i32),
                framework: args.framework.unwrap_or_default(),
                ..Default::default()
            };
            let findings = all_findings(&mut client, request).await?;
            match format {
                OutputFormat::Json => print_json(&json!(
                    findings.iter().map(|f| finding_json(f, true)).collect::<Vec<_>>()
                ))?,
                OutputFormat::Table if findings.is_empty() => outln!("No findings match."),
                OutputFormat::Table => out!("{}", findings_text(&findings)),
            }
            Ok(0)
        }
    }
}

fn settings_text(s: &AssessmentSettings) -> String {
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

fn settings_json(s: &AssessmentSettings) -> serde_json::Value {
    json!({
        "tenant_id": s.tenant_id,
        "emergency_access_accounts": s.emergency_access_accounts,
        "parameters": s.parameters,
        "effective_parameters": s.effective_parameters,
        "updated_at": timestamp_json(s.updated_at.as_ref()),
        "updated_by": s.updated_by,
    })
}

/// The given assessment, or the tenant's latest succeeded one.
async fn lookup(
    client: &mut AssessmentServiceClient<AuthedChannel>,
    tenant_id: &str,
    assessment_id: Option<String>,
) -> anyhow::Result<Assessment> {
    match assessment_id {
        Some(assessment_id) => {
            client
                .get_assessment(GetAssessmentRequest {
                    tenant_id: tenant_id.to_owned(),
                    assessment_id,
                })
                .await
                .map_err(|s| {
                    let list = format!("posture assess show {tenant_id}");
                    explain_missing("reading the assessment", s, &list)
                })?
                .into_inner()
                .assessment
        }
        None => {
            client
                .get_latest_assessment(GetLatestAssessmentRequest {
                    tenant_id: tenant_id.to_owned(),
                })
                .await
                .map_err(|s| {
                    if s.code() == tonic::Code::NotFound {
                        anyhow::anyhow!(
                            "tenant {tenant_id} has no completed assessment yet: one runs after every \
                         completed sync (`posture sync start {tenant_id} --watch`)"
                        )
                    } else {
                        explain("reading the latest assessment", s)
                    }
                })?
                .into_inner()
                .assessment
        }
    }
    .context("the server returned no assessment")
}

/// An assessment (the latest when `assessment_id` is none) and all its findings.
async fn with_findings(
    client: &mut AssessmentServiceClient<AuthedChannel>,
    tenant_id: String,
    assessment_id: Option<String>,
) -> anyhow::Result<(Assessment, Vec<Finding>)> {
    let assessment = lookup(client, &tenant_id, assessment_id).await?;
    let request = ListFindingsRequest {
        tenant_id,
        assessment_id: assessment.assessment_id.clone(),
        ..Default::default()
    };
    let findings = all_findings(client, request).await?;
    Ok((assessment, findings))
}

/// Polls an assessment until it succeeds or fails.
async fn wait_for(
    client: &mut AssessmentServiceClient<AuthedChannel>,
    tenant_id: &str,
    assessment_id: &str,
) -> anyhow::Result<Assessment> {
    loop {
        let assessment = lookup(client, tenant_id, Some(assessment_id.to_owned())).await?;
        if assessment.state == AssessmentState::Succeeded as i32
            || assessment.state == AssessmentState::Failed as i32
        {
            return Ok(assessment);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Every control of the policy pack.
pub async fn all_controls(
    client: &mut AssessmentServiceClient<AuthedChannel>,
) -> anyhow::Result<Vec<Control>> {
    let mut controls = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_controls(ListControlsRequest {
                page_size: 1000,
                page_token,
                ..Default::default()
            })
            .await
            .map_err(|s| explain("listing the controls", s))?
            .into_inner();
        controls.extend(page.controls);
        if page.next_page_token.is_empty() {
            return Ok(controls);
        }
        page_token = page.next_page_token;
    }
}

/// Every finding `request` selects, page after page, pinned to one assessment.
pub async fn all_findings(
    client: &mut AssessmentServiceClient<AuthedChannel>,
    mut request: ListFindingsRequest,
) -> anyhow::Result<Vec<Finding>> {
    request.page_size = 1000;
    let mut out = Vec::new();
    loop {
        let page = client
            .list_findings(request.clone())
            .await
            .map_err(|s| explain("listing findings", s))?
            .into_inner();
        out.extend(page.findings);
        if page.next_page_token.is_empty() {
            return Ok(out);
        }
        // Pin the assessment so later pages cannot move to a newer one.
        request.assessment_id = page.assessment_id;
        request.page_token = page.next_page_token;
    }
}

pub fn result_label(result: i32) -> &'static str {
    match ControlResult::try_from(result).unwrap_or(ControlResult::Unspecified) {
        ControlResult::Unspecified => "unknown",
        ControlResult::Pass => "pass",
        ControlResult::Fail => "fail",
        ControlResult::Warning => "warning",
        ControlResult::NotApplicable => "n/a",
        ControlResult::Error => "error",
    }
}

pub fn severity_label(severity: i32) -> &'static str {
    match Severity::try_from(severity).unwrap_or(Severity::Unspecified) {
        Severity::Unspecified => "-",
        Severity::Informational => "info",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

fn state_label(state: i32) -> &'static str {
    match AssessmentState::try_from(state).unwrap_or(AssessmentState::Unspecified) {
        AssessmentState::Unspecified => "unknown",
        AssessmentState::Pending => "pending",
        AssessmentState::Running => "running",
        AssessmentState::Succeeded => "succeeded",
        AssessmentState::Failed => "failed",
    }
}

/// `fail (accepted)` when exceptions cover it: the live result stays visible.
pub fn status_text(f: &Finding) -> String {
    let label = result_label(f.result);
    if f.accepted {
        format!("{label} (accepted)")
    } else {
        label.to_owned()
    }
}

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
        "Assessment {} ({}), completed {}, pack {}, sync run {}",
        a.assessment_id,
        state_label(a.state),
        ts_opt(a.completed_at.as_ref()),
        a.pack_version,
        a.sync_run_id
    );
    let _ = writeln!(out, "Controls: {}", counts_text(&a.counts.unwrap_or_default()));
    if let Some(error) = &a.error {
        let _ = writeln!(out, "Error: {}", super::health::reason_text(Some(error)));
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

pub fn controls_table(findings: &[Finding]) -> String {
    let mut table = Table::new(vec!["CONTROL", "SEVERITY", "STATUS", "TITLE", "REASON"]);
    for f in findings {
        table.row(vec![
            f.control_id.clone(),
            severity_label(f.severity).into(),
            status_text(f),
            shorten(&f.title, 50),
            shorten(&f.reason, 60),
        ]);
    }
    table.render()
}

/// The findings table, then each finding's failing objects (the first few; JSON has all).
pub fn findings_text(findings: &[Finding]) -> String {
    let mut out = controls_table(findings);
    for f in findings.iter().filter(|f| !f.evidence.is_empty()) {
        let _ = writeln!(
            out,
            "\n{} — {} failing object(s):",
            f.control_id, f.evidence_total
        );
        for e in f.evidence.iter().take(EVIDENCE_SHOWN) {
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
        let total = usize::try_from(f.evidence_total)
            .unwrap_or(usize::MAX)
            .max(f.evidence.len());
        if total > EVIDENCE_SHOWN.min(f.evidence.len()) {
            let shown = EVIDENCE_SHOWN.min(f.evidence.len());
            let _ = writeln!(out, "  … and {} more (see --output json)", total - shown);
        }
    }
    out
}

fn result_counts_json(c: Option<&ResultCounts>) -> serde_json::Value {
    let c = c.copied().unwrap_or_default();
    json!({"passed": c.passed, "failed": c.failed, "warning": c.warning,
           "not_applicable": c.not_applicable, "error": c.error, "accepted": c.accepted})
}

pub fn assessment_json(a: &Assessment) -> serde_json::Value {
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
pub fn finding_json(f: &Finding, evidence: bool) -> serde_json::Value {
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
    });
    if evidence {
        value["evidence"] = json!(f.evidence.iter().map(|e| {
            let o = e.object.clone().unwrap_or_default();
            json!({"entity_kind": o.entity_kind, "object_id": o.object_id, "display_name": o.display_name,
                   "detail": e.detail, "accepted": e.accepted})
        }).collect::<Vec<_>>());
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use posture_proto::v1::{EvidenceObject, FrameworkScore, ObjectRef};

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

    #[derive(clap::Parser, Debug)]
    struct Cli {
        #[command(subcommand)]
        command: AssessCommand,
    }

    #[test]
    fn findings_filters_parse_into_the_request_enums() {
        use clap::{CommandFactory, Parser};
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from([
            "assess",
            "findings",
            "t1",
            "--status",
            "fail,warning",
            "--severity",
            "high",
            "--framework",
            "cis-m365",
        ]);
        match cli.map(|c| c.command) {
            Ok(AssessCommand::Findings(args)) => {
                let results: Vec<_> = args.status.into_iter().map(ControlResult::from).collect();
                assert_eq!(results, [ControlResult::Fail, ControlResult::Warning]);
                assert_eq!(args.severity.map(Severity::from), Some(Severity::High));
                assert_eq!(args.framework.as_deref(), Some("cis-m365"));
            }
            other => panic!("unexpected parse: {other:?}"),
        }
        assert!(Cli::try_parse_from(["assess", "findings", "t1", "--status", "bad"]).is_err());
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
        assert!(
            lines[2].contains("pass") && !lines[2].contains("accepted"),
            "{table}"
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
    fn unknown_enum_values_from_the_server_render_as_unknown() {
        assert_eq!(result_label(42), "unknown");
        assert_eq!(severity_label(-1), "-");
        assert_eq!(state_label(9), "unknown");
    }
}
