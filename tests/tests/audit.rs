//! Audit events end to end, in both deployment modes: after a tenant's sync run completes the sync
//! role reads its audit streams (Management Activity, directory audits, sign-ins) by the
//! deployment's own clock, and `posture audit search` finds them through the gateway by workload,
//! user and time, as a table or as JSON with the raw record; `posture audit sign-ins` answers for
//! Posture's own footprint; a bad range is refused before any call.

use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use posture_graph_sim::{SimConfig, TenantSpec, ThrottleMode};
use posture_proto::v1 as pb;
use posture_tests::scenario::{World, wait_for_run};
use posture_tests::{Launcher, Mode, both_modes};

/// How long the sync role may take to read a tenant's streams after its run.
const PATIENCE: Duration = Duration::from_secs(120);

fn search(world: &World, args: &[&str]) -> anyhow::Result<Vec<serde_json::Value>> {
    let mut all = vec!["audit", "search"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "json"]);
    let output = world.deployment.cli(&all)?;
    ensure!(
        output.status.success(),
        "posture {all:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(serde_json::from_slice(&output.stdout)?)
}

async fn audit_events_are_searchable_from_the_cli(mode: Mode) -> anyhow::Result<()> {
    // The feed lists content by wall time in the deployment; the simulator's clock follows it.
    let sim = SimConfig {
        epoch: chrono::Utc::now(),
        clock_runs: true,
        ..SimConfig::default()
    };
    let mut world = World::start_with_sim(mode, Launcher::Script, sim).await?;
    let tenant = world
        .tenant(TenantSpec {
            seed: 71,
            users: 30,
            throttling: ThrottleMode::Off,
            ..TenantSpec::default()
        })
        .await?;
    let run = world
        .clients
        .sync
        .start_sync(pb::StartSyncRequest {
            tenant_id: tenant.clone(),
            entity_kinds: vec!["domains".into()],
        })
        .await
        .context("starting a sync")?
        .into_inner()
        .run
        .context("a run")?;
    let run = wait_for_run(&mut world.clients, &tenant, &run.run_id).await?;
    ensure!(run.state == pb::SyncRunState::Succeeded as i32, "{run:#?}");

    // The run's completion has the sync role read the tenant's streams.
    let deadline = Instant::now() + PATIENCE;
    let exchange = loop {
        let found = search(&world, &[&tenant, "--workload", "Exchange", "--since", "8d"])?;
        let audits = search(
            &world,
            &[&tenant, "--workload", "directory_audits", "--limit", "5"],
        )?;
        if !found.is_empty() && !audits.is_empty() {
            break found;
        }
        if Instant::now() > deadline {
            bail!("no audit events within {PATIENCE:?}: {}", world.deployment.logs());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    ensure!(
        exchange.iter().all(|e| e["workload"] == "Exchange"),
        "{exchange:#?}"
    );
    let first = &exchange[0];
    ensure!(first["record"]["Id"] == first["record_id"], "{first:#}");
    ensure!(first["tenant_id"] == tenant.as_str());

    // One user's events only, whatever the case they are typed in.
    let user = first["user"].as_str().context("a user")?.to_uppercase();
    let by_user = search(&world, &[&tenant, "--user", &user, "--limit", "1000"])?;
    ensure!(!by_user.is_empty());
    ensure!(
        by_user
            .iter()
            .all(|e| e["user"].as_str().is_some_and(|u| u.eq_ignore_ascii_case(&user))),
        "{by_user:#?}"
    );

    // The table fits a terminal.
    let table = world
        .deployment
        .cli(&["audit", "search", &tenant, "--limit", "20"])?;
    ensure!(table.status.success());
    let text = String::from_utf8_lossy(&table.stdout).into_owned();
    ensure!(text.starts_with("TIME (UTC)"), "{text}");
    ensure!(text.lines().all(|l| l.chars().count() <= 120), "{text}");

    // Posture's own footprint answers (its sign-ins, or that none are stored yet).
    let own = world
        .deployment
        .cli(&["audit", "sign-ins", &tenant, "-o", "json"])?;
    ensure!(own.status.success(), "{}", String::from_utf8_lossy(&own.stderr));
    let own: Vec<serde_json::Value> = serde_json::from_slice(&own.stdout)?;
    ensure!(
        own.iter().all(|e| e["source"] == "service_principal_sign_ins"),
        "{own:#?}"
    );

    // Every stream says how far it is complete; none failed.
    let streams = world
        .deployment
        .cli(&["audit", "streams", &tenant, "-o", "json"])?;
    ensure!(
        streams.status.success(),
        "{}",
        String::from_utf8_lossy(&streams.stderr)
    );
    let streams: Vec<serde_json::Value> = serde_json::from_slice(&streams.stdout)?;
    ensure!(streams.len() == 8, "{streams:#?}");
    ensure!(
        streams
            .iter()
            .filter(|s| s["source"] == "Audit.Exchange" || s["source"] == "directory_audits")
            .all(|s| s["last_error"] == "" && !s["complete_until"].is_null()),
        "{streams:#?}"
    );

    // A range that ends before it starts is refused with what to fix.
    let bad = world.deployment.cli(&[
        "audit",
        "search",
        &tenant,
        "--since",
        "2026-06-02T00:00:00Z",
        "--until",
        "2026-06-01T00:00:00Z",
    ])?;
    ensure!(!bad.status.success());
    ensure!(String::from_utf8_lossy(&bad.stderr).contains("--until must be after --since"));
    Ok(())
}

both_modes!(audit_search, audit_events_are_searchable_from_the_cli);
