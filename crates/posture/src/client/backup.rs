//! `posture backup …`: a tenant's configuration as it was at a time, in the archive format of
//! `posture_backup` (docs/backup-format.md); what changed between two times or since an archive;
//! and the Graph calls that would restore an archive, as a dry run.
//!
//! Snapshots are read through the inventory API "as of" a time, so a backup of last Tuesday is
//! as exact as one written last Tuesday. Archives given back to `diff` and `plan` are untrusted
//! input and are checked by `posture_backup::read_archive`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Subcommand;
use posture_backup::{BackupObject, Change, RestorePlan, Snapshot};
use posture_proto::v1::inventory_service_client::InventoryServiceClient;
use posture_proto::v1::{ListEntityKindsRequest, ListObjectsRequest, ObjectView};
use serde_json::json;

use super::audit::parse_instant;
use super::output::{OutputFormat, Table, details, print_json};
use super::progress::shorten;
use super::{AuthedChannel, GatewayArgs, status::explain};

#[derive(Subcommand, Debug)]
pub enum BackupCommand {
    /// Write every configuration object of a tenant, as it was at a time, to an archive (tar.gz
    /// with a manifest; see docs/backup-format.md).
    Export {
        tenant_id: String,
        /// The time to back up (`2026-06-01T00:00:00Z`, or a duration back from now such as `7d`);
        /// default: now.
        #[arg(long, value_parser = parse_instant)]
        as_of: Option<DateTime<Utc>>,
        /// The archive to write (replaced if it exists).
        #[arg(long)]
        out: PathBuf,
    },
    /// What changed in a tenant's configuration between two times, or since an archive, as RFC
    /// 6902 patches.
    Diff {
        tenant_id: String,
        /// The earlier time (same forms as --as-of).
        #[arg(long, value_parser = parse_instant, required_unless_present = "from_file")]
        from: Option<DateTime<Utc>>,
        /// An archive written by `posture backup export` as the earlier state.
        #[arg(long, conflicts_with = "from")]
        from_file: Option<PathBuf>,
        /// The later time; default: now.
        #[arg(long, value_parser = parse_instant)]
        to: Option<DateTime<Utc>>,
    },
    /// The Microsoft Graph calls (method, URL, body) that would bring the tenant back to an
    /// archive's state. A dry run: Posture has read permissions only and sends nothing.
    Plan {
        tenant_id: String,
        /// The archive to restore.
        #[arg(long)]
        from: PathBuf,
    },
}

impl super::resolve::TenantArgument for BackupCommand {
    fn tenant_argument(&mut self) -> Option<(&mut String, Option<&mut String>)> {
        match self {
            BackupCommand::Export { tenant_id, .. }
            | BackupCommand::Diff { tenant_id, .. }
            | BackupCommand::Plan { tenant_id, .. } => Some((tenant_id, None)),
        }
    }
}

pub async fn run(command: BackupCommand, gateway: &GatewayArgs) -> anyhow::Result<i32> {
    let mut client = InventoryServiceClient::new(gateway.connect().await?);
    let format = gateway.output;
    match command {
        BackupCommand::Export {
            tenant_id,
            as_of,
            out,
        } => {
            let as_of = as_of.unwrap_or_else(Utc::now);
            let snapshot = snapshot(&mut client, &tenant_id, as_of).await?;
            let (path, digest, manifest) = write_file(&snapshot, &out)?;
            let summary = json!({
                "path": path.display().to_string(),
                "sha256": digest,
                "tenant_id": manifest.tenant_id,
                "as_of": manifest.as_of.to_rfc3339(),
                "format_version": manifest.format_version,
                "objects": manifest.files.len(),
                "kinds": manifest.kinds,
            });
            match format {
                OutputFormat::Json => print_json(&summary)?,
                OutputFormat::Table => outln!(
                    "{}",
                    details(&[
                        ("Archive", path.display().to_string()),
                        ("SHA-256", digest),
                        ("Tenant", manifest.tenant_id.clone()),
                        ("As of", manifest.as_of.to_rfc3339()),
                        (
                            "Objects",
                            format!(
                                "{} in {} kinds",
                                manifest.files.len(),
                                manifest.kinds.iter().filter(|k| k.objects > 0).count()
                            )
                        ),
                    ])
                ),
            }
            Ok(0)
        }
        BackupCommand::Diff {
            tenant_id,
            from,
            from_file,
            to,
        } => {
            let to = to.unwrap_or_else(Utc::now);
            let earlier = match (from, from_file) {
                (_, Some(file)) => read_file(&file, &tenant_id)?,
                (Some(at), None) => snapshot(&mut client, &tenant_id, at).await?,
                (None, None) => anyhow::bail!("give --from TIME or --from-file FILE"),
            };
            anyhow::ensure!(
                earlier.as_of <= to,
                "the earlier state ({}) is after --to ({})",
                earlier.as_of.to_rfc3339(),
                to.to_rfc3339()
            );
            let later = snapshot(&mut client, &tenant_id, to).await?;
            let changes = posture_backup::diff(&earlier, &later);
            print_changes(&changes, format)?;
            Ok(0)
        }
        BackupCommand::Plan { tenant_id, from } => {
            let backup = read_file(&from, &tenant_id)?;
            let current = snapshot(&mut client, &tenant_id, Utc::now()).await?;
            let plan = posture_backup::plan(&backup, &current);
            print_plan(&plan, format)?;
            Ok(0)
        }
    }
}

/// Every configuration kind's objects of `tenant` as of `at`, read page by page.
pub async fn snapshot(
    client: &mut InventoryServiceClient<AuthedChannel>,
    tenant: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<Snapshot> {
    let kinds: Vec<String> = client
        .list_entity_kinds(ListEntityKindsRequest {})
        .await
        .map_err(|s| explain("listing entity kinds", s))?
        .into_inner()
        .entity_kinds
        .into_iter()
        .filter(|k| k.configuration)
        .map(|k| k.name)
        .collect();
    let mut snapshot = Snapshot::new(tenant, at, kinds.iter().cloned());
    for kind in &kinds {
        let mut page_token = String::new();
        loop {
            let page = client
                .list_objects(ListObjectsRequest {
                    tenant_id: tenant.to_owned(),
                    entity_kind: kind.clone(),
                    include_removed: false,
                    view: ObjectView::Full as i32,
                    page_size: 1000,
                    page_token,
                    as_of: Some(posture_kit::time::timestamp(at)),
                })
                .await
                .map_err(|s| explain(&format!("reading {kind} as of {}", at.to_rfc3339()), s))?
                .into_inner();
            for object in page.objects {
                let id = object
                    .r#ref
                    .as_ref()
                    .map(|r| r.object_id.clone())
                    .unwrap_or_default();
                let content = serde_json::from_str(&object.content_json).with_context(|| {
                    format!("{kind} {id}: the inventory returned content that is not JSON")
                })?;
                snapshot.insert(BackupObject {
                    entity_kind: kind.clone(),
                    display_name: object
                        .r#ref
                        .as_ref()
                        .map(|r| r.display_name.clone())
                        .unwrap_or_default(),
                    object_id: id,
                    version: object.version,
                    content_hash: object.content_hash,
                    observed_at: object
                        .changed_at
                        .as_ref()
                        .and_then(|t| posture_kit::time::from_timestamp("changed_at", t).ok())
                        .unwrap_or(at),
                    content,
                });
            }
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
    }
    Ok(snapshot)
}

/// Writes the archive next to `out` first and renames it into place, so a failed export never
/// leaves a truncated archive under the name asked for. Returns the path, the archive's SHA-256
/// and the manifest.
fn write_file(
    snapshot: &Snapshot,
    out: &Path,
) -> anyhow::Result<(PathBuf, String, posture_backup::Manifest)> {
    let (bytes, manifest) =
        posture_backup::write_archive(snapshot, Vec::new()).context("writing the backup")?;
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file =
        tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write in {}", dir.display()))?;
    file.write_all(&bytes)
        .and_then(|()| file.as_file().sync_all())
        .with_context(|| format!("cannot write {}", out.display()))?;
    file.persist(out)
        .with_context(|| format!("cannot write {}", out.display()))?;
    Ok((out.to_owned(), posture_kit::archive::sha256_hex(&bytes), manifest))
}

/// Reads an archive of `tenant`.
fn read_file(path: &Path, tenant: &str) -> anyhow::Result<Snapshot> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let (snapshot, _) = posture_backup::read_archive(std::io::BufReader::new(file), Some(tenant))
        .with_context(|| format!("cannot use {} as a backup", path.display()))?;
    Ok(snapshot)
}

fn print_changes(changes: &[Change], format: OutputFormat) -> anyhow::Result<()> {
    match format {
        OutputFormat::Json => print_json(&serde_json::to_value(changes)?)?,
        OutputFormat::Table => {
            if changes.is_empty() {
                outln!("No configuration changes.");
                return Ok(());
            }
            let mut table = Table::new(vec!["CHANGE", "KIND", "NAME", "VERSIONS", "PATCH"]);
            for c in changes {
                let versions = format!(
                    "{} → {}",
                    c.from_version.map_or("-".into(), |v| v.to_string()),
                    c.to_version.map_or("-".into(), |v| v.to_string())
                );
                table.row(vec![
                    serde_json::to_value(c.change)?
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    c.entity_kind.clone(),
                    shorten(&c.display_name, 40),
                    versions,
                    shorten(&serde_json::to_string(&c.json_patch)?, 80),
                ]);
            }
            out!("{}", table.render());
        }
    }
    Ok(())
}

fn print_plan(plan: &RestorePlan, format: OutputFormat) -> anyhow::Result<()> {
    match format {
        OutputFormat::Json => print_json(&serde_json::to_value(plan)?)?,
        OutputFormat::Table => {
            outln!("Dry run: Posture sends none of these calls.");
            if plan.calls.is_empty() && plan.manual.is_empty() {
                outln!("The tenant matches the backup; nothing to restore.");
            }
            for call in &plan.calls {
                outln!();
                outln!("# {} ({}): {}", call.display_name, call.entity_kind, call.reason);
                outln!("{} {}", call.method, call.url);
                if let Some(body) = &call.body {
                    outln!("{}", serde_json::to_string_pretty(body)?);
                }
            }
            if !plan.manual.is_empty() {
                outln!();
                outln!("Manual steps:");
                for step in &plan.manual {
                    outln!(
                        "- {} ({}, {}): {}",
                        step.display_name,
                        step.entity_kind,
                        step.change,
                        step.reason
                    );
                }
            }
        }
    }
    Ok(())
}
