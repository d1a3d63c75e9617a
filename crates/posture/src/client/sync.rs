//! `posture sync …`: start a tenant's sync run, follow it live, and list past runs.

use std::fmt::Write as _;
use std::io::IsTerminal;

use anyhow::Context;
use clap::{Args, Subcommand};
use posture_proto::v1::sync_service_client::SyncServiceClient;
use posture_proto::v1::{
    EntitySync, GetSyncRunRequest, ListSyncRunsRequest, StartSyncRequest, SyncRun, SyncRunState, SyncTrigger,
    WatchSyncRunRequest,
};
use serde_json::json;
use tonic::Code;

use super::output::{OutputFormat, Table, print_json};
use super::progress::{
    ProgressDisplay, RunView, counts_text, duration_seconds, duration_text, entity_state_label,
    explain_missing, is_terminal, objects, run_state_label, short_reason, timestamp_json, ts_opt,
};
use super::{AuthedChannel, GatewayArgs, health, status::explain};

#[derive(Subcommand, Debug)]
pub enum SyncCommand {
    /// Start a sync run for a tenant; prints the run id.
    Start(StartArgs),
    /// Follow a run until it finishes: progress per entity kind, then a summary.
    Watch { tenant_id: String, run_id: String },
    /// List a tenant's runs, newest first.
    Runs {
        tenant_id: String,
        /// At most this many runs.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

#[derive(Args, Debug)]
pub struct StartArgs {
    pub tenant_id: String,
    /// Entity kinds to sync, comma separated (default: every kind enabled for the tenant).
    #[arg(long, value_delimiter = ',')]
    pub kinds: Vec<String>,
    /// Keep following the run until it finishes (as `posture sync watch`).
    #[arg(long)]
    pub watch: bool,
}

/// Exit code when a run finished with failed entities (partially succeeded or failed).
pub const EXIT_ENTITIES_FAILED: i32 = 3;
/// Exit code when a run was cancelled.
pub const EXIT_CANCELLED: i32 = 4;

pub async fn run(command: SyncCommand, gateway: &GatewayArgs) -> anyhow::Result<i32> {
    let mut client = SyncServiceClient::new(gateway.connect().await?);
    let format = gateway.output;
    match command {
        SyncCommand::Start(args) => {
            let started = client
                .start_sync(StartSyncRequest {
                    tenant_id: args.tenant_id.clone(),
                    entity_kinds: args.kinds.iter().map(|k| k.trim().to_owned()).collect(),
                })
                .await;
            let run = match started {
                Ok(response) => response.into_inner().run.context("the server returned no run")?,
                Err(status) if status.code() == Code::AlreadyExists => {
                    anyhow::bail!("{}", already_running(&args.tenant_id, &status));
                }
                Err(status) => return Err(explain("starting the sync", status)),
            };
            if args.watch {
                if format == OutputFormat::Table {
                    outln!("Started sync run {}", run.run_id);
                }
                return watch(&mut client, &args.tenant_id, &run.run_id, format).await;
            }
            match format {
                OutputFormat::Json => print_json(&run_json(&run))?,
                OutputFormat::Table => {
                    outln!("{}", run.run_id);
                    eprintln!(
                        "Follow it with `posture sync watch {} {}`",
                        args.tenant_id, run.run_id
                    );
                }
            }
            Ok(0)
        }
        SyncCommand::Watch { tenant_id, run_id } => watch(&mut client, &tenant_id, &run_id, format).await,
        SyncCommand::Runs { tenant_id, limit } => runs(&mut client, &tenant_id, limit, format).await,
    }
}

/// What to tell someone whose run collides with an active one: its id and how to follow it.
fn already_running(tenant_id: &str, status: &tonic::Status) -> String {
    // The sync role's own decoder, so client and server agree on the ErrorInfo shape.
    match posture_sync::active_run_of(status) {
        Some(run_id) => format!(
            "tenant {tenant_id} already has an active sync run {run_id}; follow it with \
             `posture sync watch {tenant_id} {run_id}`"
        ),
        None => format!(
            "{} (list runs with `posture sync runs {tenant_id}`)",
            status.message()
        ),
    }
}

async fn watch(
    client: &mut SyncServiceClient<AuthedChannel>,
    tenant_id: &str,
    run_id: &str,
    format: OutputFormat,
) -> anyhow::Result<i32> {
    let mut stream = client
        .watch_sync_run(WatchSyncRunRequest {
            tenant_id: tenant_id.to_owned(),
            run_id: run_id.to_owned(),
        })
        .await
        .map_err(|s| {
            explain_missing(
                "watching the sync run",
                s,
                &format!("posture sync runs {tenant_id}"),
            )
        })?
        .into_inner();
    let mut view = RunView::default();
    // JSON output is for scripts: no live lines, just the final run.
    let mut display = (format == OutputFormat::Table).then(|| ProgressDisplay::new(live_terminal()));
    while let Some(update) = stream
        .message()
        .await
        .map_err(|s| explain("watching the sync run", s))?
    {
        let changed = view.apply(update);
        if let Some(display) = display.as_mut() {
            display.show(&changed);
        }
        if view.finished() {
            break;
        }
    }
    if let Some(display) = display.as_mut() {
        display.finish();
    }
    if !view.finished() {
        anyhow::bail!(
            "the watch ended before run {run_id} finished (state: {}); follow it again with \
             `posture sync watch {tenant_id} {run_id}`",
            run_state_label(view.run.state)
        );
    }
    // The stored run is the record (totals and duration settle when the run is written); the
    // stream's last snapshot stands in when it cannot be read.
    let run = match client
        .get_sync_run(GetSyncRunRequest {
            tenant_id: tenant_id.to_owned(),
            run_id: run_id.to_owned(),
        })
        .await
    {
        Ok(response) => response
            .into_inner()
            .run
            .filter(|r| is_terminal(r.state))
            .unwrap_or(view.run),
        Err(_) => view.run,
    };
    match format {
        OutputFormat::Json => print_json(&run_json(&run))?,
        OutputFormat::Table => out!("\n{}", summary(&run)),
    }
    Ok(exit_code(run.state))
}

/// Spinners only when a person watches: indicatif draws on stderr, the summary goes to stdout.
fn live_terminal() -> bool {
    std::io::stdout().is_terminal() && std::io::stderr().is_terminal()
}

/// 0 when every entity succeeded (or was skipped), 3 with failed entities, 4 when cancelled.
pub fn exit_code(run_state: i32) -> i32 {
    match SyncRunState::try_from(run_state).unwrap_or(SyncRunState::Unspecified) {
        SyncRunState::Succeeded => 0,
        SyncRunState::Cancelled => EXIT_CANCELLED,
        _ => EXIT_ENTITIES_FAILED,
    }
}

/// The end of a watch: the run's outcome, then one row per entity kind with what it did.
pub fn summary(run: &SyncRun) -> String {
    let mut table = Table::new(vec![
        "ENTITY", "STATE", "PAGES", "OBJECTS", "+ ~ - =", "TIME", "REASON",
    ]);
    for e in &run.entities {
        table.row(vec![
            e.entity_kind.clone(),
            entity_state_label(e.state).into(),
            e.pages.to_string(),
            objects(&e.counts.unwrap_or_default()).to_string(),
            counts_text(e.counts.as_ref()),
            duration_text(e.duration.as_ref()),
            e.error.as_ref().map(short_reason).unwrap_or_default(),
        ]);
    }
    let (ok, failed) = entity_outcomes(&run.entities);
    let mut out = format!(
        "Run {} {} in {}: {ok} entities ok, {failed} failed; totals {}\n{}",
        run.run_id,
        run_state_label(run.state),
        duration_text(run.duration.as_ref()),
        counts_text(run.totals.as_ref()),
        table.render()
    );
    // The full reasons carry Microsoft's request ids, which support cases need.
    for e in run.entities.iter().filter(|e| e.error.is_some()) {
        let _ = write!(
            out,
            "\n{}: {}",
            e.entity_kind,
            health::reason_text(e.error.as_ref())
        );
    }
    if run.entities.iter().any(|e| e.error.is_some()) {
        out.push('\n');
    }
    out
}

/// Entities that succeeded, and entities that failed (skipped ones count as neither).
fn entity_outcomes(entities: &[EntitySync]) -> (usize, usize) {
    use posture_proto::v1::EntitySyncState as S;
    let count = |want: S| entities.iter().filter(|e| e.state == want as i32).count();
    (count(S::Succeeded), count(S::Failed))
}

fn trigger_label(trigger: i32) -> &'static str {
    match SyncTrigger::try_from(trigger).unwrap_or(SyncTrigger::Unspecified) {
        SyncTrigger::Manual => "manual",
        SyncTrigger::Scheduled => "scheduled",
        SyncTrigger::Unspecified => "unknown",
    }
}

async fn runs(
    client: &mut SyncServiceClient<AuthedChannel>,
    tenant_id: &str,
    limit: usize,
    format: OutputFormat,
) -> anyhow::Result<i32> {
    let mut runs = Vec::new();
    let mut page_token = String::new();
    while runs.len() < limit {
        let page = client
            .list_sync_runs(ListSyncRunsRequest {
                tenant_id: tenant_id.to_owned(),
                page_size: i32::try_from(limit.min(500)).unwrap_or(500),
                page_token,
                ..Default::default()
            })
            .await
            .map_err(|s| explain("listing sync runs", s))?
            .into_inner();
        runs.extend(page.runs);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    runs.truncate(limit);
    match format {
        OutputFormat::Json => print_json(&json!(runs.iter().map(run_json).collect::<Vec<_>>()))?,
        OutputFormat::Table => out!("{}", runs_table(&runs)),
    }
    Ok(0)
}

pub fn runs_table(runs: &[SyncRun]) -> String {
    let mut table = Table::new(vec![
        "RUN ID", "TRIGGER", "STATE", "STARTED", "DURATION", "OK", "FAILED",
    ]);
    for run in runs {
        let (ok, failed) = entity_outcomes(&run.entities);
        table.row(vec![
            run.run_id.clone(),
            trigger_label(run.trigger).into(),
            run_state_label(run.state).into(),
            ts_opt(run.started_at.as_ref().or(run.requested_at.as_ref())),
            duration_text(run.duration.as_ref()),
            ok.to_string(),
            failed.to_string(),
        ]);
    }
    table.render()
}

fn counts_json(c: Option<&posture_proto::v1::EntityCounts>) -> serde_json::Value {
    let c = c.copied().unwrap_or_default();
    json!({"added": c.added, "changed": c.changed, "removed": c.removed, "unchanged": c.unchanged})
}

pub fn run_json(run: &SyncRun) -> serde_json::Value {
    json!({
        "run_id": run.run_id,
        "tenant_id": run.tenant_id,
        "trigger": trigger_label(run.trigger),
        "requested_by": run.requested_by,
        "state": run_state_label(run.state),
        "totals": counts_json(run.totals.as_ref()),
        "requested_at": timestamp_json(run.requested_at.as_ref()),
        "started_at": timestamp_json(run.started_at.as_ref()),
        "finished_at": timestamp_json(run.finished_at.as_ref()),
        "duration_seconds": duration_seconds(run.duration.as_ref()),
        "entities": run.entities.iter().map(|e| json!({
            "entity_kind": e.entity_kind,
            "state": entity_state_label(e.state),
            "pages": e.pages,
            "attempt": e.attempt,
            "counts": counts_json(e.counts.as_ref()),
            "error": e.error.as_ref().map(|r| json!({
                "code": r.code,
                "message": r.message,
                "endpoint": r.endpoint,
                "http_status": r.http_status,
                "missing_permissions": r.missing_permissions,
            })),
            "duration_seconds": duration_seconds(e.duration.as_ref()),
        })).collect::<Vec<_>>(),
    })
}

impl super::resolve::TenantArgument for SyncCommand {
    fn tenant_argument(&mut self) -> Option<(&mut String, Option<&mut String>)> {
        match self {
            SyncCommand::Start(args) => Some((&mut args.tenant_id, None)),
            SyncCommand::Watch { tenant_id, .. } | SyncCommand::Runs { tenant_id, .. } => {
                Some((tenant_id, None))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use posture_proto::v1::{EntityCounts, EntitySyncState, FailureReason};

    fn run(state: SyncRunState, entities: Vec<EntitySync>) -> SyncRun {
        SyncRun {
            run_id: "5f0c7a52-9a56-4c1e-8a51-3f7d2f1d0c11".into(),
            tenant_id: "tenant".into(),
            trigger: SyncTrigger::Manual as i32,
            state: state as i32,
            entities,
            totals: Some(EntityCounts {
                added: 5,
                ..Default::default()
            }),
            started_at: Some(prost_types::Timestamp {
                seconds: 1_790_000_000,
                nanos: 0,
            }),
            duration: Some(prost_types::Duration {
                seconds: 75,
                nanos: 0,
            }),
            ..Default::default()
        }
    }

    fn entity(kind: &str, state: EntitySyncState) -> EntitySync {
        EntitySync {
            entity_kind: kind.into(),
            state: state as i32,
            pages: 2,
            ..Default::default()
        }
    }

    #[derive(clap::Parser, Debug)]
    struct Cli {
        #[command(subcommand)]
        command: SyncCommand,
    }

    #[test]
    fn start_takes_comma_separated_kinds_and_watch() {
        use clap::{CommandFactory, Parser};
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from([
            "sync",
            "start",
            "t1",
            "--kinds",
            "users,conditional_access_policies",
            "--watch",
        ]);
        match cli.map(|c| c.command) {
            Ok(SyncCommand::Start(args)) => {
                assert_eq!(args.kinds, ["users", "conditional_access_policies"]);
                assert!(args.watch);
            }
            other => panic!("unexpected parse: {other:?}"),
        }
        assert!(
            Cli::try_parse_from(["sync", "watch", "t1"]).is_err(),
            "watch needs the run id"
        );
    }

    #[test]
    fn an_active_run_is_named_with_the_command_that_follows_it() {
        let status = tonic::Status::from(posture_sync::SyncError::RunActive {
            tenant: "t1".into(),
            run_id: "run-42".into(),
        });
        assert_eq!(status.code(), Code::AlreadyExists);
        let text = already_running("t1", &status);
        assert!(text.contains("already has an active sync run run-42"), "{text}");
        assert!(text.contains("`posture sync watch t1 run-42`"), "{text}");
    }

    #[test]
    fn without_error_info_the_message_and_the_runs_command_are_shown() {
        let garbage = tonic::Status::with_details(
            Code::AlreadyExists,
            "run r9 is active",
            vec![0x1a, 0xff, 0x01].into(),
        );
        let text = already_running("t1", &garbage);
        assert!(text.starts_with("run r9 is active"), "{text}");
        assert!(text.contains("posture sync runs t1"), "{text}");
    }

    #[test]
    fn exit_code_follows_the_run_outcome() {
        assert_eq!(exit_code(SyncRunState::Succeeded as i32), 0);
        assert_eq!(
            exit_code(SyncRunState::PartiallySucceeded as i32),
            EXIT_ENTITIES_FAILED
        );
        assert_eq!(exit_code(SyncRunState::Failed as i32), EXIT_ENTITIES_FAILED);
        assert_eq!(exit_code(SyncRunState::Cancelled as i32), EXIT_CANCELLED);
        assert_eq!(exit_code(99), EXIT_ENTITIES_FAILED);
    }

    #[test]
    fn runs_table_counts_ok_and_failed_entities() {
        let runs = [run(
            SyncRunState::PartiallySucceeded,
            vec![
                entity("groups", EntitySyncState::Succeeded),
                entity("users", EntitySyncState::Failed),
                entity("devices", EntitySyncState::Skipped),
            ],
        )];
        let table = runs_table(&runs);
        let row = table.lines().nth(1).expect("one run row");
        let cells: Vec<_> = row
            .split("  ")
            .filter(|c| !c.trim().is_empty())
            .map(str::trim)
            .collect();
        assert_eq!(
            cells,
            [
                "5f0c7a52-9a56-4c1e-8a51-3f7d2f1d0c11",
                "manual",
                "partially succeeded",
                "2026-09-21 14:13 UTC",
                "1m 15s",
                "1",
                "1"
            ]
        );
    }

    #[test]
    fn summary_names_the_outcome_and_each_failure_reason() {
        let mut failed = entity("users", EntitySyncState::Failed);
        failed.error = Some(FailureReason {
            code: "Authorization_RequestDenied".into(),
            message: "permission missing (client-request-id 50593606)".into(),
            missing_permissions: vec!["User.Read.All".into()],
            ..Default::default()
        });
        let text = summary(&run(SyncRunState::Failed, vec![failed]));
        assert!(
            text.starts_with(
                "Run 5f0c7a52-9a56-4c1e-8a51-3f7d2f1d0c11 failed in 1m 15s: 0 entities ok, 1 failed"
            ),
            "{text}"
        );
        let row = text.lines().find(|l| l.starts_with("users ")).unwrap_or_default();
        assert!(
            row.ends_with("Authorization_RequestDenied: missing User.Read.All"),
            "{text}"
        );
        assert!(
            text.ends_with(
                "\nusers: Authorization_RequestDenied permission missing (client-request-id 50593606)\n"
            ),
            "the full reason with its request id follows the table: {text}"
        );
    }

    #[test]
    fn run_json_uses_labels_rfc3339_times_and_seconds() {
        let value = run_json(&run(
            SyncRunState::Succeeded,
            vec![entity("users", EntitySyncState::Succeeded)],
        ));
        assert_eq!(value["state"], "succeeded");
        assert_eq!(value["trigger"], "manual");
        assert_eq!(value["started_at"], "2026-09-21T14:13:20+00:00");
        assert_eq!(value["finished_at"], serde_json::Value::Null);
        assert_eq!(value["duration_seconds"], 75.0);
        assert_eq!(value["totals"]["added"], 5);
        assert_eq!(value["entities"][0]["entity_kind"], "users");
        assert_eq!(value["entities"][0]["error"], serde_json::Value::Null);
    }
}
