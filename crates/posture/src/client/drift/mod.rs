//! `posture drift …`: baselines (take one from a tenant, apply it to tenants with overrides,
//! list, show) and the drift from them (list, show, accept, deny). Rendering is in `render.rs`.

mod baseline;
mod render;

pub use baseline::BaselineCommand;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use posture_proto::v1::drift_service_client::DriftServiceClient;
use posture_proto::v1::{Drift, DriftState, GetDriftRequest, ListDriftRequest, UpdateDriftStateRequest};
use serde_json::json;

use super::output::{OutputFormat, print_json};
use super::progress::explain_missing;
use super::{AuthedChannel, GatewayArgs, status::explain};

#[derive(Subcommand, Debug)]
pub enum DriftCommand {
    /// Baselines: create (from a tenant's configuration today), apply, list, show.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// List a tenant's open drift from its baseline, newest first.
    List {
        tenant_id: String,
        /// Only drift in this state (repeatable).
        #[arg(long = "state", value_enum)]
        states: Vec<StateArg>,
        /// Only drift of this entity kind, e.g. `conditional_access_policies`.
        #[arg(long)]
        kind: Option<String>,
        /// Also list drift that was resolved (the object matches the baseline again).
        #[arg(long)]
        all: bool,
    },
    /// Show one drift item with its JSON patch.
    Show { tenant_id: String, drift_id: String },
    /// Accept drift as intended; it reopens when the object changes again or the date passes.
    Accept {
        tenant_id: String,
        drift_id: String,
        /// Why it is accepted.
        #[arg(long)]
        reason: String,
        /// Last day of the acceptance (YYYY-MM-DD, until the end of that day, UTC).
        #[arg(long)]
        until: Option<chrono::NaiveDate>,
    },
    /// Deny drift: the change is to be reverted.
    Deny {
        tenant_id: String,
        drift_id: String,
        /// Why it is denied.
        #[arg(long)]
        reason: String,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateArg {
    New,
    Accepted,
    Denied,
}

impl StateArg {
    fn state(self) -> DriftState {
        match self {
            StateArg::New => DriftState::New,
            StateArg::Accepted => DriftState::Accepted,
            StateArg::Denied => DriftState::Denied,
        }
    }
}

pub async fn run(command: DriftCommand, gateway: &GatewayArgs) -> anyhow::Result<i32> {
    let mut client = DriftServiceClient::new(gateway.connect().await?);
    let format = gateway.output;
    match command {
        DriftCommand::Baseline(command) => baseline::run(command, &mut client, gateway).await,
        DriftCommand::List {
            tenant_id,
            states,
            kind,
            all,
        } => {
            let mut drift = Vec::new();
            let mut page_token = String::new();
            loop {
                let page = client
                    .list_drift(ListDriftRequest {
                        tenant_id: tenant_id.clone(),
                        states: states.iter().map(|s| s.state() as i32).collect(),
                        entity_kind: kind.clone().unwrap_or_default(),
                        include_resolved: all,
                        page_size: 500,
                        page_token,
                        ..Default::default()
                    })
                    .await
                    .map_err(|s| explain("listing drift", s))?
                    .into_inner();
                drift.extend(page.drift);
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            match format {
                OutputFormat::Json => {
                    print_json(&json!(drift.iter().map(render::drift_json).collect::<Vec<_>>()))?
                }
                OutputFormat::Table if drift.is_empty() => outln!(
                    "No open drift (a tenant drifts only from a baseline applied to it: `posture drift baseline list --applied-to {tenant_id}`)"
                ),
                OutputFormat::Table => out!("{}", render::drift_table(&drift)),
            }
            Ok(0)
        }
        DriftCommand::Show { tenant_id, drift_id } => {
            let drift = client
                .get_drift(GetDriftRequest {
                    tenant_id: tenant_id.clone(),
                    drift_id,
                })
                .await
                .map_err(|s| explain_missing("reading drift", s, &format!("posture drift list {tenant_id}")))?
                .into_inner()
                .drift
                .context("the server returned no drift")?;
            match format {
                OutputFormat::Json => print_json(&render::drift_json(&drift))?,
                OutputFormat::Table => out!("{}", render::drift_details(&drift)),
            }
            Ok(0)
        }
        DriftCommand::Accept {
            tenant_id,
            drift_id,
            reason,
            until,
        } => {
            let accepted_until = until.map(|day| {
                let end = day.and_hms_opt(23, 59, 59).unwrap_or_default().and_utc();
                prost_types::Timestamp {
                    seconds: end.timestamp(),
                    nanos: 0,
                }
            });
            verdict(
                &mut client,
                format,
                tenant_id,
                drift_id,
                DriftState::Accepted,
                reason,
                accepted_until,
            )
            .await
        }
        DriftCommand::Deny {
            tenant_id,
            drift_id,
            reason,
        } => {
            verdict(
                &mut client,
                format,
                tenant_id,
                drift_id,
                DriftState::Denied,
                reason,
                None,
            )
            .await
        }
    }
}

async fn verdict(
    client: &mut DriftServiceClient<AuthedChannel>,
    format: OutputFormat,
    tenant_id: String,
    drift_id: String,
    state: DriftState,
    reason: String,
    accepted_until: Option<prost_types::Timestamp>,
) -> anyhow::Result<i32> {
    anyhow::ensure!(!reason.trim().is_empty(), "--reason must say why");
    let list = format!("posture drift list {tenant_id}");
    let drift = client
        .update_drift_state(UpdateDriftStateRequest {
            tenant_id,
            drift_id,
            state: state as i32,
            comment: reason,
            accepted_until,
        })
        .await
        .map_err(|s| explain_missing("recording the verdict", s, &list))?
        .into_inner()
        .drift
        .context("the server returned no drift")?;
    match format {
        OutputFormat::Json => print_json(&render::drift_json(&drift))?,
        OutputFormat::Table => outln!(
            "Drift {} is now {}",
            drift.drift_id,
            render::state_label(drift.state)
        ),
    }
    Ok(0)
}

/// Every open drift item of a tenant (for the HTML report); `None` when the server does not
/// serve DriftService (an older assessment role), so the report leaves the section out.
pub async fn open_drift(gateway: &GatewayArgs, tenant_id: &str) -> anyhow::Result<Option<Vec<Drift>>> {
    let mut client = DriftServiceClient::new(gateway.connect().await?);
    let mut drift = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = match client
            .list_drift(ListDriftRequest {
                tenant_id: tenant_id.to_owned(),
                page_size: 500,
                page_token,
                ..Default::default()
            })
            .await
        {
            Ok(page) => page.into_inner(),
            Err(status) if status.code() == tonic::Code::Unimplemented => return Ok(None),
            Err(status) => return Err(explain("listing drift for the report", status)),
        };
        drift.extend(page.drift);
        if page.next_page_token.is_empty() {
            return Ok(Some(drift));
        }
        page_token = page.next_page_token;
    }
}

impl super::resolve::TenantArgument for DriftCommand {
    fn tenant_argument(&mut self) -> Option<(&mut String, Option<&mut String>)> {
        match self {
            DriftCommand::Baseline(BaselineCommand::Create(args)) => Some((&mut args.tenant_id, None)),
            DriftCommand::Baseline(_) => None,
            DriftCommand::List { tenant_id, .. }
            | DriftCommand::Show { tenant_id, .. }
            | DriftCommand::Accept { tenant_id, .. }
            | DriftCommand::Deny { tenant_id, .. } => Some((tenant_id, None)),
        }
    }
}
