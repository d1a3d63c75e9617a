//! `posture inventory …`: browse a tenant's synced objects and the versions of configuration objects.

use anyhow::Context;
use clap::Subcommand;
use posture_proto::v1::inventory_service_client::InventoryServiceClient;
use posture_proto::v1::{
    GetObjectRequest, InventoryObject, ListEntityKindsRequest, ListObjectVersionsRequest, ListObjectsRequest,
    ObjectVersion, ObjectView,
};
use serde_json::json;

use super::output::{OutputFormat, Table, details, print_json};
use super::progress::{explain_missing, shorten, timestamp_json, ts_opt};
use super::{AuthedChannel, GatewayArgs, status::explain};

#[derive(Subcommand, Debug)]
pub enum InventoryCommand {
    /// The entity kinds Posture syncs: what each is read from and the permissions it needs.
    Kinds,
    /// List a tenant's objects of one entity kind, ordered by object id. Devices, alerts, Defender
    /// machines and vulnerabilities get the columns to triage by, worst first.
    List {
        tenant_id: String,
        /// Entity kind, e.g. `users`, `conditional_access_policies`.
        #[arg(long)]
        kind: String,
        /// Also list objects removed from the tenant.
        #[arg(long)]
        include_removed: bool,
        /// At most this many objects (a note on standard error says when more exist).
        #[arg(long, default_value_t = 100, conflicts_with = "all")]
        limit: usize,
        /// Every object of the kind, however many.
        #[arg(long)]
        all: bool,
    },
    /// Show one object's current content; with --versions, its stored versions instead.
    Show {
        tenant_id: String,
        /// Entity kind, e.g. `users`.
        #[arg(long)]
        kind: String,
        object_id: String,
        /// List the stored versions (configuration kinds only).
        #[arg(long)]
        versions: bool,
    },
}

pub async fn run(command: InventoryCommand, gateway: &GatewayArgs) -> anyhow::Result<i32> {
    let mut client = InventoryServiceClient::new(gateway.connect().await?);
    let format = gateway.output;
    match command {
        InventoryCommand::Kinds => {
            let kinds = client
                .list_entity_kinds(ListEntityKindsRequest {})
                .await
                .map_err(|s| explain("listing entity kinds", s))?
                .into_inner()
                .entity_kinds;
            match format {
                OutputFormat::Json => print_json(&json!(
                    kinds
                        .iter()
                        .map(|k| json!({
                            "name": k.name,
                            "display_name": k.display_name,
                            "resource": super::health::resource_label(k.resource),
                            "endpoint": k.endpoint,
                            "permissions": k.permissions,
                            "configuration": k.configuration,
                            "delta": k.delta,
                        }))
                        .collect::<Vec<_>>()
                ))?,
                OutputFormat::Table => {
                    let mut table = Table::new(vec!["KIND", "API", "PERMISSIONS", "HISTORY", "DELTA"]);
                    for k in &kinds {
                        table.row(vec![
                            k.name.clone(),
                            super::health::resource_label(k.resource).into(),
                            shorten(&k.permissions.join(", "), 50),
                            if k.configuration { "versions" } else { "current" }.into(),
                            if k.delta { "yes" } else { "no" }.into(),
                        ]);
                    }
                    out!("{}", table.render());
                }
            }
            Ok(0)
        }
        InventoryCommand::List {
            tenant_id,
            kind,
            include_removed,
            limit,
            all,
        } => {
            let limit = if all { usize::MAX } else { limit };
            // The triage views sort worst first across every object, so they read them all and
            // show the first `limit`.
            let triage = format == OutputFormat::Table && super::signals_view::KINDS.contains(&kind.as_str());
            let shown = limit;
            let limit = if triage { usize::MAX } else { limit };
            let request = ListObjectsRequest {
                tenant_id,
                entity_kind: kind,
                include_removed,
                // FULL so the list can show display names; content is only read, never printed.
                view: ObjectView::Full as i32,
                page_size: i32::try_from(limit.min(1000)).unwrap_or(1000),
                page_token: String::new(),
                as_of: None,
            };
            let kind_name = request.entity_kind.clone();
            let (objects, more) = list(&mut client, request, limit).await?;
            if triage {
                if objects.len() > shown {
                    eprintln!(
                        "showing the worst {shown} of {} objects (--limit N, or --all for every one)",
                        objects.len()
                    );
                }
                if let Some(view) = super::signals_view::table(&kind_name, &objects, shown) {
                    out!("{view}");
                    return Ok(0);
                }
            }
            if more {
                eprintln!(
                    "showing the first {} objects; more exist (--limit N, or --all for every one)",
                    objects.len()
                );
            }
            match format {
                OutputFormat::Json => {
                    print_json(&json!(
                        objects.iter().map(|o| object_json(o, false)).collect::<Vec<_>>()
                    ))?;
                }
                OutputFormat::Table => out!("{}", objects_table(&objects)),
            }
            Ok(0)
        }
        InventoryCommand::Show {
            tenant_id,
            kind,
            object_id,
            versions: true,
        } => {
            let mut versions = Vec::new();
            let mut page_token = String::new();
            loop {
                let page = client
                    .list_object_versions(ListObjectVersionsRequest {
                        tenant_id: tenant_id.clone(),
                        entity_kind: kind.clone(),
                        object_id: object_id.clone(),
                        page_size: 500,
                        page_token,
                    })
                    .await
                    .map_err(|s| {
                        let list = format!("posture inventory list {tenant_id} --kind {kind}");
                        explain_missing("listing the object's versions", s, &list)
                    })?
                    .into_inner();
                versions.extend(page.versions);
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            match format {
                OutputFormat::Json => {
                    print_json(&json!(versions.iter().map(version_json).collect::<Vec<_>>()))?
                }
                OutputFormat::Table => out!("{}", versions_table(&versions)),
            }
            Ok(0)
        }
        InventoryCommand::Show {
            tenant_id,
            kind,
            object_id,
            versions: false,
        } => {
            let object = client
                .get_object(GetObjectRequest {
                    tenant_id: tenant_id.clone(),
                    entity_kind: kind.clone(),
                    object_id,
                })
                .await
                .map_err(|s| {
                    let list = format!("posture inventory list {tenant_id} --kind {kind}");
                    explain_missing("showing the object", s, &list)
                })?
                .into_inner()
                .object
                .context("the server returned no object")?;
            match format {
                OutputFormat::Json => print_json(&object_json(&object, true))?,
                OutputFormat::Table => out!("{}", object_text(&object)),
            }
            Ok(0)
        }
    }
}

async fn list(
    client: &mut InventoryServiceClient<AuthedChannel>,
    mut request: ListObjectsRequest,
    limit: usize,
) -> anyhow::Result<(Vec<InventoryObject>, bool)> {
    let mut objects = Vec::new();
    let mut more = false;
    while objects.len() <= limit {
        let page = client
            .list_objects(request.clone())
            .await
            .map_err(|s| explain("listing objects", s))?
            .into_inner();
        objects.extend(page.objects);
        if page.next_page_token.is_empty() {
            break;
        }
        if objects.len() >= limit {
            more = true;
            break;
        }
        request.page_token = page.next_page_token;
    }
    more |= objects.len() > limit;
    objects.truncate(limit);
    Ok((objects, more))
}

/// A name for people from the object's content: displayName, else userPrincipalName, else the
/// name captured in the reference. Content that is not JSON gives no name rather than an error.
pub fn display_name(object: &InventoryObject) -> String {
    let from_content = serde_json::from_str::<serde_json::Value>(&object.content_json)
        .ok()
        .and_then(|v| {
            ["displayName", "userPrincipalName", "computerDnsName", "name"]
                .iter()
                .find_map(|key| v.get(key).and_then(|n| n.as_str()).map(str::to_owned))
        });
    from_content
        .or_else(|| object.r#ref.as_ref().map(|r| r.display_name.clone()))
        .unwrap_or_default()
}

fn object_id(object: &InventoryObject) -> String {
    object
        .r#ref
        .as_ref()
        .map(|r| r.object_id.clone())
        .unwrap_or_default()
}

/// Versions are 0 for kinds that keep none; shown as `-` so nobody reads it as "version zero".
fn version_text(version: u64) -> String {
    if version == 0 {
        "-".into()
    } else {
        version.to_string()
    }
}

pub fn objects_table(objects: &[InventoryObject]) -> String {
    let mut table = Table::new(vec!["ID", "DISPLAY NAME", "VERSION", "CHANGED", "REMOVED"]);
    for o in objects {
        table.row(vec![
            object_id(o),
            shorten(&display_name(o), 40),
            version_text(o.version),
            ts_opt(o.changed_at.as_ref()),
            if o.removed { "yes".into() } else { String::new() },
        ]);
    }
    table.render()
}

pub fn versions_table(versions: &[ObjectVersion]) -> String {
    let mut table = Table::new(vec!["VERSION", "OBSERVED", "HASH", "RUN ID", "REMOVED"]);
    for v in versions {
        table.row(vec![
            v.version.to_string(),
            ts_opt(v.observed_at.as_ref()),
            v.content_hash.chars().take(12).collect(),
            v.run_id.clone(),
            if v.removed { "yes".into() } else { String::new() },
        ]);
    }
    table.render()
}

/// The metadata, then the content pretty-printed (or as stored when it is not valid JSON).
pub fn object_text(object: &InventoryObject) -> String {
    let kind = object
        .r#ref
        .as_ref()
        .map(|r| r.entity_kind.clone())
        .unwrap_or_default();
    let mut out = details(&[
        ("Object id", object_id(object)),
        ("Kind", kind),
        ("Display name", display_name(object)),
        ("Version", version_text(object.version)),
        ("Removed", if object.removed { "yes" } else { "no" }.into()),
        ("First seen", ts_opt(object.first_seen_at.as_ref())),
        ("Last seen", ts_opt(object.last_seen_at.as_ref())),
        ("Changed", ts_opt(object.changed_at.as_ref())),
        ("Last run", object.last_run_id.clone()),
        ("SHA-256", object.content_hash.clone()),
    ]);
    out.push('\n');
    out.push_str(&pretty_content(&object.content_json));
    out.push('\n');
    out
}

fn pretty_content(content: &str) -> String {
    serde_json::from_str::<serde_json::Value>(content)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| content.to_owned())
}

/// With `content`, the object's content as a JSON value (its raw string when not valid JSON).
pub fn object_json(o: &InventoryObject, content: bool) -> serde_json::Value {
    let mut value = json!({
        "object_id": object_id(o),
        "entity_kind": o.r#ref.as_ref().map(|r| r.entity_kind.clone()).unwrap_or_default(),
        "display_name": display_name(o),
        "version": o.version,
        "removed": o.removed,
        "content_hash": o.content_hash,
        "first_seen_at": timestamp_json(o.first_seen_at.as_ref()),
        "last_seen_at": timestamp_json(o.last_seen_at.as_ref()),
        "changed_at": timestamp_json(o.changed_at.as_ref()),
        "last_run_id": o.last_run_id,
    });
    if content {
        value["content"] = serde_json::from_str(&o.content_json).unwrap_or_else(|_| json!(o.content_json));
    }
    value
}

fn version_json(v: &ObjectVersion) -> serde_json::Value {
    json!({
        "version": v.version,
        "content_hash": v.content_hash,
        "observed_at": timestamp_json(v.observed_at.as_ref()),
        "removed": v.removed,
        "run_id": v.run_id,
    })
}

impl super::resolve::TenantArgument for InventoryCommand {
    fn tenant_argument(&mut self) -> Option<(&mut String, Option<&mut String>)> {
        match self {
            InventoryCommand::Kinds => None,
            InventoryCommand::List { tenant_id, .. } | InventoryCommand::Show { tenant_id, .. } => {
                Some((tenant_id, None))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use posture_proto::v1::ObjectRef;

    fn user(id: &str, content: &str) -> InventoryObject {
        InventoryObject {
            tenant_id: "t".into(),
            r#ref: Some(ObjectRef {
                entity_kind: "users".into(),
                object_id: id.into(),
                display_name: "from ref".into(),
            }),
            version: 3,
            content_json: content.into(),
            changed_at: Some(prost_types::Timestamp {
                seconds: 1_790_000_000,
                nanos: 0,
            }),
            ..Default::default()
        }
    }

    #[derive(clap::Parser, Debug)]
    struct Cli {
        #[command(subcommand)]
        command: InventoryCommand,
    }

    #[test]
    fn list_needs_a_kind_and_show_takes_versions() {
        use clap::{CommandFactory, Parser};
        Cli::command().debug_assert();
        assert!(Cli::try_parse_from(["inventory", "list", "t1"]).is_err());
        let cli = Cli::try_parse_from([
            "inventory",
            "show",
            "t1",
            "--kind",
            "conditional_access_policies",
            "p1",
            "--versions",
        ]);
        assert!(
            matches!(cli.map(|c| c.command), Ok(InventoryCommand::Show { versions: true, ref object_id, .. }) if object_id == "p1")
        );
    }

    #[test]
    fn display_name_prefers_content_then_principal_name_then_the_reference() {
        assert_eq!(
            display_name(&user(
                "1",
                r#"{"displayName":"Adele Vance","userPrincipalName":"a@x"}"#
            )),
            "Adele Vance"
        );
        assert_eq!(
            display_name(&user("1", r#"{"userPrincipalName":"adele@contoso.com"}"#)),
            "adele@contoso.com"
        );
        assert_eq!(display_name(&user("1", "")), "from ref");
        assert_eq!(display_name(&user("1", "not json {")), "from ref");
        assert_eq!(display_name(&user("1", r#"{"displayName":42}"#)), "from ref");
    }

    #[test]
    fn objects_table_has_one_compact_row_per_object() {
        let mut removed = user(
            "2",
            r#"{"displayName":"A very long display name that would wrap a terminal line"}"#,
        );
        removed.removed = true;
        removed.version = 0;
        let table = objects_table(&[user("1", r#"{"displayName":"Adele"}"#), removed]);
        let lines: Vec<_> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("ID  DISPLAY NAME"), "{table}");
        assert!(
            lines[1].contains("Adele")
                && lines[1].contains(" 3 ")
                && lines[1].contains("2026-09-21 14:13 UTC")
        );
        assert!(
            lines[2].contains("A very long display name that would wra…"),
            "{table}"
        );
        assert!(lines[2].trim_end().ends_with("yes"), "{table}");
        assert!(lines[2].contains(" - "), "version 0 shows as -: {table}");
    }

    #[test]
    fn object_json_embeds_content_as_json_and_keeps_invalid_content_as_text() {
        let value = object_json(
            &user("1", r#"{"displayName":"Adele","n":9007199254740993}"#),
            true,
        );
        assert_eq!(value["object_id"], "1");
        assert_eq!(value["content"]["displayName"], "Adele");
        assert_eq!(value["changed_at"], "2026-09-21T14:13:20+00:00");
        let raw = object_json(&user("1", "{broken"), true);
        assert_eq!(raw["content"], "{broken");
        assert!(object_json(&user("1", "{}"), false).get("content").is_none());
    }

    #[test]
    fn object_text_pretty_prints_the_content_below_the_metadata() {
        let text = object_text(&user("1", r#"{"a":1,"b":[true]}"#));
        assert!(text.starts_with("Object id"), "{text}");
        assert!(text.contains("Display name  from ref"), "{text}");
        assert!(
            text.contains("{\n  \"a\": 1,\n  \"b\": [\n    true\n  ]\n}"),
            "{text}"
        );
    }

    #[test]
    fn versions_table_shortens_hashes() {
        let v = ObjectVersion {
            version: 2,
            content_hash: "ab".repeat(32),
            run_id: "run-1".into(),
            ..Default::default()
        };
        let table = versions_table(&[v]);
        assert!(
            table
                .lines()
                .nth(1)
                .is_some_and(|l| l.starts_with("2 ") && l.contains("abababababab  run-1")),
            "{table}"
        );
    }
}
