//! A removed tenant's data lifecycle end to end, in both modes, through the CLI: a tenant synced,
//! assessed, with an exception and a baseline applied to it, is removed with `--purge --now`; then
//! no table of any role's schema holds a row naming it but the activity log's record of its
//! removal, and another tenant's rows are all still there.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, ensure};
use posture_graph_sim::{SimConfig, TenantSpec, ThrottleMode};
use posture_proto::v1 as pb;
use posture_tests::scenario::{World, assessment_of_run, sync_and_wait};
use posture_tests::{Launcher, Mode, both_modes};
use serde_json::Value;

/// How long every role may take to delete its rows after the purge.
const PATIENCE: Duration = Duration::from_secs(60);

fn spec(seed: u64) -> TenantSpec {
    TenantSpec {
        seed,
        users: 30,
        throttling: ThrottleMode::Off,
        ..TenantSpec::default()
    }
}

/// Runs the CLI and parses its JSON output.
fn cli_json(world: &World, args: &[&str]) -> anyhow::Result<Value> {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    let output = world.deployment.cli(&all)?;
    ensure!(
        output.status.success(),
        "posture {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// Waits until every audit stream of `tenant` has been read after its sync, so no read is still
/// writing when the purge runs.
async fn audit_streams_read(world: &World, tenant: &str) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let streams = cli_json(world, &["audit", "streams", tenant])?;
        let streams = streams.as_array().cloned().unwrap_or_default();
        if !streams.is_empty() && streams.iter().all(|s| !s["last_read_at"].is_null()) {
            return Ok(());
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "the audit streams of {tenant} were never all read: {streams:#?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The activity log's tables, the one place a purged tenant's id stays (its removal call).
fn is_activity_log(table: &str) -> bool {
    table.ends_with(".activity_log") || table.ends_with(".activity_log_tenants")
}

async fn a_purged_tenant_leaves_no_row_in_any_schema(mode: Mode) -> anyhow::Result<()> {
    // The audit feed is read by the deployment's wall clock: the simulator's follows it, so the
    // tenant has audit events to purge.
    let sim = SimConfig {
        epoch: chrono::Utc::now(),
        clock_runs: true,
        ..SimConfig::default()
    };
    let mut world = World::start_with_sim(mode, Launcher::Script, sim).await?;
    ensure!(world.assesses(), "the assessment role runs");
    let gone = world.tenant(spec(610)).await?;
    let kept = world.tenant(spec(611)).await?;
    for tenant in [&gone, &kept] {
        let run = sync_and_wait(&mut world.clients, tenant).await?;
        ensure!(run.state() == pb::SyncRunState::Succeeded, "{run:#?}");
        assessment_of_run(&mut world.clients, tenant, &run.run_id).await?;
        audit_streams_read(&world, tenant).await?;
    }
    let expires = (chrono::Utc::now() + chrono::Duration::days(90))
        .format("%Y-%m-%d")
        .to_string();
    cli_json(
        &world,
        &[
            "exceptions",
            "add",
            &gone,
            "--control",
            "entra.ca.mfa-all-users",
            "--reason",
            "compensating control",
            "--owner",
            "secops",
            "--expires",
            &expires,
        ],
    )?;
    // A baseline taken from the tenant that stays, applied to the one that goes.
    let created = cli_json(
        &world,
        &[
            "drift",
            "baseline",
            "create",
            &kept,
            "--name",
            "standard",
            "--kind",
            "conditional_access_policies",
        ],
    )?;
    let baseline = created["baseline_id"].as_str().context("baseline id")?.to_owned();
    cli_json(&world, &["drift", "baseline", "apply", &baseline, &gone])?;

    let before = world.deployment.rows_naming(&gone).await?;
    for wanted in [
        "objects",
        "object_versions",
        "runs",
        "audit_events",
        "assessments",
        "findings",
        "exceptions",
        "baseline_targets",
        "schedules",
    ] {
        ensure!(
            before.keys().any(|t| t.ends_with(&format!(".{wanted}"))),
            "the tenant to purge has no {wanted} row to begin with: {before:#?}"
        );
    }
    let kept_before = world.deployment.rows_naming(&kept).await?;

    let removed = cli_json(
        &world,
        &[
            "tenants",
            "remove",
            &gone,
            "--confirm",
            &gone,
            "--reason",
            "customer left",
            "--purge",
            "--now",
        ],
    )?;
    ensure!(
        !removed["purge_at"].is_null(),
        "the removal names when it purges: {removed:#}"
    );

    let deadline = tokio::time::Instant::now() + PATIENCE;
    let left = loop {
        let left = world.deployment.rows_naming(&gone).await?;
        if left.keys().all(|t| is_activity_log(t)) {
            break left;
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "rows of the purged tenant are left outside the activity log: {left:#?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    // What stays is the record of the removal: one call, named once.
    let counts: Vec<i64> = left.values().copied().collect();
    ensure!(
        left.len() == 2 && counts == [1, 1],
        "the activity log keeps only the removal of the purged tenant: {left:#?}"
    );
    let activity = cli_json(&world, &["activity", "--tenant", &gone])?;
    let rpcs: Vec<&str> = activity
        .as_array()
        .context("activity list")?
        .iter()
        .filter_map(|a| a["rpc"].as_str())
        .collect();
    ensure!(
        rpcs.iter().any(|rpc| rpc.ends_with("DeleteConnection")),
        "the activity log shows the purge: {activity:#}"
    );

    // The other tenant keeps every row it had; in the activity log, all but the calls that named
    // the purged tenant too (applying the baseline taken from it to the purged one).
    let kept_after: BTreeMap<String, i64> = world.deployment.rows_naming(&kept).await?;
    for (table, rows) in &kept_before {
        if is_activity_log(table) {
            ensure!(
                kept_after.contains_key(table),
                "{table} lost every call of the tenant that stays"
            );
            continue;
        }
        let now = kept_after.get(table).copied().unwrap_or(0);
        ensure!(
            now >= *rows,
            "{table} lost rows of the tenant that stays: {rows} then {now}"
        );
    }
    Ok(())
}

both_modes!(
    purged_tenant_leaves_no_row,
    a_purged_tenant_leaves_no_row_in_any_schema
);
