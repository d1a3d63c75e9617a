//! `posture assess …`: a tenant's assessment (scores per framework, result per control) and its
//! findings with the failing objects as evidence. This file holds the commands (arguments and what
//! each one does); `fetch` talks to the gateway, `render` and `json` format what comes back.

mod export;
mod fetch;
mod json;
mod ocsf;
pub(crate) mod render;
mod report;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use posture_proto::v1::assessment_service_client::AssessmentServiceClient;
use posture_proto::v1::{
    AssessmentState, ControlResult, GetAssessmentSettingsRequest, ListFindingsRequest, Severity,
    StartAssessmentRequest, UpdateAssessmentSettingsRequest,
};
use serde_json::json;

use super::output::{OutputFormat, print_json};
use super::{GatewayArgs, status::explain};
use fetch::{wait_for, with_findings};
use json::{assessment_json, finding_json, settings_json};
use render::{findings_text, settings_text};

pub use fetch::{all_controls, all_findings};
pub use render::{assessment_text, controls_table, wrap};

#[derive(Subcommand, Debug)]
pub enum AssessCommand {
    /// Scores per framework, counts per result and every control's result.
    Show {
        tenant_id: String,
        /// A given assessment (default: the latest succeeded one).
        #[arg(long)]
        assessment_id: Option<String>,
        /// Exit with code 4 when a control fails at this severity or above and no exception
        /// accepts it (for pipelines).
        #[arg(long, value_enum, value_name = "SEVERITY")]
        fail_on: Option<SeverityArg>,
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
    /// Write the latest (or a given) assessment as a self-contained HTML report for the customer:
    /// summary with trend and top risks, what could not be evaluated, each framework by reference
    /// id, findings with remediation. Print it from a browser to get a PDF.
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
    /// Export instead of the table: csv (spreadsheets), md (tickets), junit (CI test reports),
    /// ocsf (OCSF 1.5.0 Compliance Findings, one JSON event per line, for SIEMs and data lakes).
    #[arg(long, value_enum)]
    pub format: Option<export::ExportFormat>,
    /// Write the export to this file instead of standard output.
    #[arg(long, requires = "format")]
    pub out: Option<PathBuf>,
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

/// Exit code of `assess show --fail-on` when controls fail at or above the severity.
pub const EXIT_FAILING_FINDINGS: i32 = 4;

/// Controls whose live result is FAIL at `severity` or above and that no exception accepts.
fn failing_at_or_above(findings: &[posture_proto::v1::Finding], severity: Severity) -> usize {
    findings
        .iter()
        .filter(|f| f.result == ControlResult::Fail as i32 && !f.accepted && f.severity >= severity as i32)
        .count()
}

pub async fn run(command: AssessCommand, gateway: &GatewayArgs) -> anyhow::Result<i32> {
    let mut client = AssessmentServiceClient::new(gateway.connect().await?);
    let format = gateway.output;
    match command {
        AssessCommand::Show {
            tenant_id,
            assessment_id,
            fail_on,
        } => {
            let (assessment, findings) = with_findings(&mut client, tenant_id, assessment_id).await?;
            let failing = fail_on.map_or(0, |severity| failing_at_or_above(&findings, severity.into()));
            match format {
                OutputFormat::Json => print_json(&json!({
                    "assessment": assessment_json(&assessment),
                    "findings": findings.iter().map(|f| finding_json(f, false)).collect::<Vec<_>>(),
                }))?,
                OutputFormat::Table => {
                    out!("{}\n{}", assessment_text(&assessment), controls_table(&findings));
                }
            }
            if let (Some(severity), true) = (fail_on, failing > 0) {
                eprintln!(
                    "{failing} control(s) fail at {} or above without an exception",
                    format!("{severity:?}").to_lowercase()
                );
                return Ok(EXIT_FAILING_FINDINGS);
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
            let drift = crate::client::drift::open_drift(gateway, &assessment.tenant_id).await?;
            let extras = report::extras(&mut client, gateway, &assessment.tenant_id).await?;
            let html = posture_assessment::render_report_from_api(
                &assessment,
                &findings,
                &controls,
                &posture_assessment::ApiReportContext {
                    tenant_display_name: &extras.display_name,
                    drift: drift.as_deref(),
                    history: &extras.history,
                    notes: &extras.notes,
                },
            );
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
            if let Some(export) = args.format {
                let text = if export == export::ExportFormat::Ocsf {
                    // The controls carry the remediation each event names.
                    let controls = all_controls(&mut client).await?;
                    ocsf::render(&findings, &controls, env!("CARGO_PKG_VERSION"))?
                } else {
                    export::render(export, &findings)?
                };
                match &args.out {
                    Some(path) => {
                        std::fs::write(path, text)
                            .with_context(|| format!("cannot write {}", path.display()))?;
                        eprintln!("{} findings written to {}", findings.len(), path.display());
                    }
                    None => out!("{text}"),
                }
                return Ok(0);
            }
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

impl crate::client::resolve::TenantArgument for AssessCommand {
    fn tenant_argument(&mut self) -> Option<(&mut String, Option<&mut String>)> {
        match self {
            AssessCommand::Show { tenant_id, .. }
            | AssessCommand::Run { tenant_id, .. }
            | AssessCommand::Report { tenant_id, .. } => Some((tenant_id, None)),
            AssessCommand::Findings(args) => Some((&mut args.tenant_id, None)),
            AssessCommand::Settings { command } => match command {
                SettingsCommand::Show { tenant_id } | SettingsCommand::Set { tenant_id, .. } => {
                    Some((tenant_id, None))
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_on_counts_unaccepted_failures_at_or_above_the_severity() {
        let finding =
            |result: ControlResult, severity: Severity, accepted: bool| posture_proto::v1::Finding {
                result: result as i32,
                severity: severity as i32,
                accepted,
                ..Default::default()
            };
        let findings = [
            finding(ControlResult::Fail, Severity::Critical, false),
            finding(ControlResult::Fail, Severity::High, true),
            finding(ControlResult::Fail, Severity::Medium, false),
            finding(ControlResult::Warning, Severity::Critical, false),
            finding(ControlResult::Error, Severity::High, false),
        ];
        assert_eq!(failing_at_or_above(&findings, Severity::Critical), 1);
        assert_eq!(
            failing_at_or_above(&findings, Severity::High),
            1,
            "an accepted failure does not count"
        );
        assert_eq!(failing_at_or_above(&findings, Severity::Low), 2);
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
}
