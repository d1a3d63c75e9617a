//! `posture controls list|show`: the controls the running assessment role judges with (the
//! built-in pack and any custom packs it was configured with), through the gateway.

use clap::{Subcommand, ValueEnum};
use posture_proto::v1::assessment_service_client::AssessmentServiceClient;
use posture_proto::v1::{Control, ListControlsRequest, Severity};
use serde_json::json;

use super::GatewayArgs;
use super::assess::render::severity_label;
use super::output::{OutputFormat, Table, details, framework_short, print_json};
use super::progress::shorten;
use super::status::explain;

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeverityArg {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Subcommand, Debug)]
pub enum ControlsCommand {
    /// Every control, with severity and framework references.
    List {
        /// Only controls referencing this framework (`cis-m365`, `cisa-scuba`, `posture`, or a
        /// custom pack's).
        #[arg(long)]
        framework: Option<String>,
        /// Only controls of this severity.
        #[arg(long, value_enum)]
        severity: Option<SeverityArg>,
    },
    /// One control: what it requires, why, how to fix a failure, and the data it reads. Takes the
    /// control id or a framework reference (`5.2.2.1`, `MS.AAD.3.2v2`).
    Show { control: String },
}

async fn fetch(
    client: &mut AssessmentServiceClient<super::AuthedChannel>,
    framework: String,
    severity: Severity,
) -> anyhow::Result<Vec<Control>> {
    let mut controls = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_controls(ListControlsRequest {
                framework: framework.clone(),
                severity: severity as i32,
                page_size: 1000,
                page_token,
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

fn references(c: &Control) -> String {
    c.references
        .iter()
        .filter(|r| r.reference_id != c.control_id)
        .map(|r| format!("{} {}", framework_short(&r.framework), r.reference_id))
        .collect::<Vec<_>>()
        .join(", ")
}

fn control_json(c: &Control) -> serde_json::Value {
    json!({
        "control_id": c.control_id,
        "title": c.title,
        "severity": severity_label(c.severity),
        "references": c.references.iter().map(|r| json!({
            "framework": r.framework, "framework_version": r.framework_version, "reference_id": r.reference_id,
        })).collect::<Vec<_>>(),
        "rationale": c.rationale,
        "remediation": c.remediation,
        "entity_kinds": c.entity_kinds,
        "required_licenses": c.required_licenses,
    })
}

pub async fn run(command: ControlsCommand, gateway: &GatewayArgs) -> anyhow::Result<i32> {
    let mut client = AssessmentServiceClient::new(gateway.connect().await?);
    let format = gateway.output;
    match command {
        ControlsCommand::List { framework, severity } => {
            let severity = match severity {
                None => Severity::Unspecified,
                Some(SeverityArg::Low) => Severity::Low,
                Some(SeverityArg::Medium) => Severity::Medium,
                Some(SeverityArg::High) => Severity::High,
                Some(SeverityArg::Critical) => Severity::Critical,
            };
            let controls = fetch(&mut client, framework.unwrap_or_default(), severity).await?;
            match format {
                OutputFormat::Json => {
                    print_json(&json!(controls.iter().map(control_json).collect::<Vec<_>>()))?
                }
                OutputFormat::Table => {
                    let mut table = Table::new(vec!["CONTROL", "SEVERITY", "FRAMEWORKS", "TITLE"]);
                    // 120 columns: ids as long as they are (up to 48), frameworks up to 30, the title the rest.
                    let id_width = controls
                        .iter()
                        .map(|c| c.control_id.chars().count())
                        .max()
                        .unwrap_or(0)
                        .min(48);
                    let title_width = 120 - id_width - 30 - 8 - 6;
                    for c in &controls {
                        table.row(vec![
                            shorten(&c.control_id, id_width),
                            severity_label(c.severity).to_owned(),
                            shorten(&references(c), 30),
                            shorten(&c.title, title_width),
                        ]);
                    }
                    outln!("{}", table.render().trim_end());
                    outln!("{} controls", controls.len());
                }
            }
            Ok(0)
        }
        ControlsCommand::Show { control } => {
            let controls = fetch(&mut client, String::new(), Severity::Unspecified).await?;
            let wanted = control.trim();
            let found: Vec<&Control> = match controls
                .iter()
                .find(|c| c.control_id.eq_ignore_ascii_case(wanted))
            {
                Some(c) => vec![c],
                None => controls
                    .iter()
                    .filter(|c| {
                        c.references
                            .iter()
                            .any(|r| r.reference_id.eq_ignore_ascii_case(wanted))
                    })
                    .collect(),
            };
            anyhow::ensure!(
                !found.is_empty(),
                "no control is {wanted:?} or references it; `posture controls list` shows them"
            );
            match format {
                OutputFormat::Json => {
                    print_json(&json!(found.iter().map(|c| control_json(c)).collect::<Vec<_>>()))?
                }
                OutputFormat::Table => {
                    for (i, c) in found.iter().enumerate() {
                        if i > 0 {
                            outln!();
                        }
                        out!(
                            "{}",
                            details(&[
                                ("control", c.control_id.clone()),
                                ("title", c.title.clone()),
                                ("severity", severity_label(c.severity).to_owned()),
                                ("frameworks", references(c)),
                                ("reads", c.entity_kinds.join(", ")),
                                ("licences", c.required_licenses.join(", ")),
                                ("why", c.rationale.clone()),
                                ("fix", c.remediation.clone()),
                            ])
                        );
                    }
                }
            }
            Ok(0)
        }
    }
}
