//! `posture drift …`: baselines (take one from a tenant, apply it to tenants with overrides,
//! list, show) and the drift from them (list, show, accept, deny). Rendering is in `render.rs`.

mod render;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use posture_proto::v1::drift_service_client::DriftServiceClient;
use posture_proto::v1::{
    ApplyBaselineRequest, BaselineOverride, CreateBaselineRequest, Drift, DriftState, GetBaselineRequest,
    GetDriftRequest, ListBaselinesRequest, ListDriftRequest, UpdateDriftStateRequest,
};
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

#[derive(Subcommand, Debug)]
pub enum BaselineCommand {
    /// Pin a tenant's current configuration as a baseline ("today's state is the standard").
    Create(CreateArgs),
    /// Apply a baseline to tenants (replacing the baseline each had); drift is computed at once.
    Apply(ApplyArgs),
    /// List baselines, newest first.
    List {
        /// Only baselines taken from this tenant.
        #[arg(long)]
        source: Option<String>,
        /// Only the baseline applied to this tenant.
        #[arg(long)]
        applied_to: Option<String>,
    },
    /// Show a baseline with its pinned objects.
    Show { baseline_id: String },
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// The tenant whose configuration is pinned (a template tenant, or the tenant itself).
    pub tenant_id: String,
    /// A name for people.
    #[arg(long)]
    pub name: String,
    #[arg(long, default_value = "")]
    pub description: String,
    /// Configuration kind to pin (repeatable); without it every configuration kind.
    #[arg(long = "kind")]
    pub kinds: Vec<String>,
    /// Also apply it to the tenant it was taken from.
    #[arg(long)]
    pub apply: bool,
}

#[derive(Args, Debug)]
pub struct ApplyArgs {
    pub baseline_id: String,
    /// Tenants (ids or names) to apply it to.
    #[arg(required = true)]
    pub tenants: Vec<String>,
    /// A tenant's exception: `TENANT:KIND[:NAME][=/path,/path]` ignores those JSON pointers of the
    /// named object (every object of the kind without NAME) for that tenant; without `=` the
    /// objects are left out (repeatable).
    #[arg(long = "override")]
    pub overrides: Vec<String>,
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

/// An override as typed: (tenant, kind, name, paths).
fn parse_override(text: &str) -> anyhow::Result<(String, String, String, Vec<String>)> {
    let (target, paths) = match text.rsplit_once('=') {
        Some((target, paths)) if paths.starts_with('/') => (
            target,
            paths
                .split(',')
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect(),
        ),
        _ => (text, Vec::new()),
    };
    let mut parts = target.splitn(3, ':');
    let tenant = parts.next().unwrap_or_default().trim();
    let kind = parts.next().unwrap_or_default().trim();
    let name = parts.next().unwrap_or_default().trim();
    anyhow::ensure!(
        !tenant.is_empty() && !kind.is_empty(),
        "--override `{text}` must be TENANT:KIND[:NAME][=/path,/path]"
    );
    Ok((tenant.to_owned(), kind.to_owned(), name.to_owned(), paths))
}

pub async fn run(command: DriftCommand, gateway: &GatewayArgs) -> anyhow::Result<i32> {
    let mut client = DriftServiceClient::new(gateway.connect().await?);
    let format = gateway.output;
    match command {
        DriftCommand::Baseline(command) => baseline(command, &mut client, gateway).await,
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

async fn baseline(
    command: BaselineCommand,
    client: &mut DriftServiceClient<AuthedChannel>,
    gateway: &GatewayArgs,
) -> anyhow::Result<i32> {
    let format = gateway.output;
    match command {
        BaselineCommand::Create(args) => {
            let created = client
                .create_baseline(CreateBaselineRequest {
                    display_name: args.name,
                    description: args.description,
                    source_tenant_id: args.tenant_id.clone(),
                    entity_kinds: args.kinds,
                })
                .await
                .map_err(|s| explain("creating the baseline", s))?
                .into_inner()
                .baseline
                .context("the server returned no baseline")?;
            let shown = if args.apply {
                client
                    .apply_baseline(ApplyBaselineRequest {
                        baseline_id: created.baseline_id.clone(),
                        tenant_ids: vec![args.tenant_id],
                        overrides: Vec::new(),
                    })
                    .await
                    .map_err(|s| explain("applying the baseline", s))?
                    .into_inner()
                    .baseline
                    .context("the server returned no baseline")?
            } else {
                created
            };
            match format {
                OutputFormat::Json => print_json(&render::baseline_json(&shown))?,
                OutputFormat::Table => outln!(
                    "Created baseline {} ({} objects pinned){}",
                    shown.baseline_id,
                    shown.pinned_count,
                    if shown.applied_tenant_ids.is_empty() {
                        String::new()
                    } else {
                        format!(", applied to {}", shown.applied_tenant_ids.join(", "))
                    }
                ),
            }
            Ok(0)
        }
        BaselineCommand::Apply(mut args) => {
            super::resolve::resolve_all(&mut args.tenants, gateway).await?;
            let mut overrides = Vec::new();
            for text in &args.overrides {
                let (tenant, kind, name, paths) = parse_override(text)?;
                let mut tenant = [tenant];
                super::resolve::resolve_all(&mut tenant, gateway).await?;
                let [tenant_id] = tenant;
                overrides.push(BaselineOverride {
                    tenant_id,
                    entity_kind: kind,
                    display_name: name,
                    ignored_paths: paths,
                });
            }
            let applied = client
                .apply_baseline(ApplyBaselineRequest {
                    baseline_id: args.baseline_id,
                    tenant_ids: args.tenants,
                    overrides,
                })
                .await
                .map_err(|s| explain_missing("applying the baseline", s, "posture drift baseline list"))?
                .into_inner()
                .baseline
                .context("the server returned no baseline")?;
            match format {
                OutputFormat::Json => print_json(&render::baseline_json(&applied))?,
                OutputFormat::Table => outln!(
                    "Applied baseline {} to {} tenant(s); `posture drift list TENANT` shows each one's drift",
                    applied.baseline_id,
                    applied.applied_tenant_ids.len()
                ),
            }
            Ok(0)
        }
        BaselineCommand::List { source, applied_to } => {
            let mut filters = [source.unwrap_or_default(), applied_to.unwrap_or_default()];
            for filter in filters.iter_mut().filter(|f| !f.is_empty()) {
                super::resolve::resolve_all(std::slice::from_mut(filter), gateway).await?;
            }
            let [source_tenant_id, applied_tenant_id] = filters;
            let mut baselines = Vec::new();
            let mut page_token = String::new();
            loop {
                let page = client
                    .list_baselines(ListBaselinesRequest {
                        source_tenant_id: source_tenant_id.clone(),
                        applied_tenant_id: applied_tenant_id.clone(),
                        page_size: 500,
                        page_token,
                    })
                    .await
                    .map_err(|s| explain("listing baselines", s))?
                    .into_inner();
                baselines.extend(page.baselines);
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            match format {
                OutputFormat::Json => {
                    print_json(&json!(
                        baselines.iter().map(render::baseline_json).collect::<Vec<_>>()
                    ))?;
                }
                OutputFormat::Table => out!("{}", render::baselines_table(&baselines)),
            }
            Ok(0)
        }
        BaselineCommand::Show { baseline_id } => {
            let baseline = client
                .get_baseline(GetBaselineRequest { baseline_id })
                .await
                .map_err(|s| explain_missing("reading the baseline", s, "posture drift baseline list"))?
                .into_inner()
                .baseline
                .context("the server returned no baseline")?;
            match format {
                OutputFormat::Json => print_json(&render::baseline_json(&baseline))?,
                OutputFormat::Table => out!("{}", render::baseline_details(&baseline)),
            }
            Ok(0)
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_name_a_tenant_a_kind_and_optionally_an_object_and_paths() {
        let (tenant, kind, name, paths) =
            parse_override("Contoso:conditional_access_policies:CA001: Block legacy=/state,/grantControls")
                .expect("valid");
        assert_eq!(
            (tenant.as_str(), kind.as_str(), name.as_str()),
            ("Contoso", "conditional_access_policies", "CA001: Block legacy")
        );
        assert_eq!(paths, ["/state", "/grantControls"]);
        let (_, _, name, paths) = parse_override("t:named_locations").expect("valid");
        assert!(name.is_empty() && paths.is_empty());
        assert!(parse_override("only-a-tenant").is_err());
    }
}
