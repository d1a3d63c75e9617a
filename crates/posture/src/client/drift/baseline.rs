//! `posture drift baseline …`: take a baseline from a tenant, apply it to tenants with their
//! overrides, list, show and delete baselines.

use anyhow::Context;
use clap::{Args, Subcommand};
use posture_proto::v1::drift_service_client::DriftServiceClient;
use posture_proto::v1::{
    ApplyBaselineRequest, BaselineOverride, CreateBaselineRequest, DeleteBaselineRequest, GetBaselineRequest,
    ListBaselinesRequest,
};
use serde_json::json;

use super::render;
use crate::client::output::{OutputFormat, print_json};
use crate::client::progress::explain_missing;
use crate::client::{AuthedChannel, GatewayArgs, status::explain};

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
    /// Delete a baseline that no tenant has applied (its drift history goes with it).
    Delete { baseline_id: String },
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

pub async fn run(
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
            crate::client::resolve::resolve_all(&mut args.tenants, gateway).await?;
            let mut overrides = Vec::new();
            for text in &args.overrides {
                let (tenant, kind, name, paths) = parse_override(text)?;
                let mut tenant = [tenant];
                crate::client::resolve::resolve_all(&mut tenant, gateway).await?;
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
                crate::client::resolve::resolve_all(std::slice::from_mut(filter), gateway).await?;
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
        BaselineCommand::Delete { baseline_id } => {
            let deleted = client
                .delete_baseline(DeleteBaselineRequest {
                    baseline_id: baseline_id.clone(),
                })
                .await
                .map_err(|s| explain_missing("deleting the baseline", s, "posture drift baseline list"))?
                .into_inner();
            let deleted_at = crate::client::progress::timestamp_json(deleted.deleted_at.as_ref());
            match format {
                OutputFormat::Json => print_json(&json!({
                    "baseline_id": baseline_id,
                    "deleted_at": deleted_at,
                }))?,
                OutputFormat::Table => out!("Deleted baseline {baseline_id}."),
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
