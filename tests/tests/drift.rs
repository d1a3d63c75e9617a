//! Configuration drift end to end, in both modes, through the CLI: a template tenant's
//! Conditional Access policies become a baseline applied to three tenants; each shows its own
//! drift; a policy changed on the simulator and re-synced is one drift item with the right
//! patch; accepted, it reopens when the policy changes again; the overview counts it, the
//! HTML report (titled with the tenant's name) lists it and the all-tenants page shows it.

use std::time::Duration;

use anyhow::{Context, ensure};
use posture_graph_sim::{Mutation, SimConfig, TenantSpec, ThrottleMode};
use posture_proto::v1 as pb;
use posture_tests::scenario::{World, stored_objects, sync_and_wait};
use posture_tests::{Launcher, Mode, both_modes};
use serde_json::Value;

const CA: &str = "conditional_access_policies";
/// How long drift detection may take after a sync completes.
const PATIENCE: Duration = Duration::from_secs(60);

fn spec(seed: u64) -> TenantSpec {
    TenantSpec {
        seed,
        users: 40,
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

fn drift_of(world: &World, tenant: &str) -> anyhow::Result<Vec<Value>> {
    let listed = cli_json(world, &["drift", "list", tenant])?;
    Ok(listed.as_array().cloned().unwrap_or_default())
}

/// Polls `posture drift list` until `wanted` holds: detection runs after the sync completes.
async fn drift_until(
    world: &World,
    tenant: &str,
    wanted: impl Fn(&[Value]) -> bool,
) -> anyhow::Result<Vec<Value>> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let drift = drift_of(world, tenant)?;
        if wanted(&drift) {
            return Ok(drift);
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "drift of {tenant} never became as expected: {drift:#?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits until every audit stream of `tenant` has been read once: the first read after the
/// first sync lists a week of the activity feed, and a change is attributed by the read that
/// follows the sync that saw it, which waits for nothing else then.
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

async fn drift_from_a_template_baseline(mode: Mode) -> anyhow::Result<()> {
    // The audit log is read by the deployment's wall clock; the simulator's follows it, so the
    // administrator's change is in the window the sync role reads.
    let sim = SimConfig {
        epoch: chrono::Utc::now(),
        clock_runs: true,
        ..SimConfig::default()
    };
    let mut world = World::start_with_sim(mode, Launcher::Script, sim).await?;
    ensure!(world.assesses(), "the assessment role runs");
    let template = world.tenant(spec(300)).await?;
    let tenants = [
        world.tenant(spec(301)).await?,
        world.tenant(spec(302)).await?,
        world.tenant(spec(303)).await?,
    ];
    for tenant in std::iter::once(&template).chain(&tenants) {
        let run = sync_and_wait(&mut world.clients, tenant).await?;
        ensure!(run.state() == pb::SyncRunState::Succeeded, "{run:#?}");
    }

    let created = cli_json(
        &world,
        &[
            "drift",
            "baseline",
            "create",
            &template,
            "--name",
            "MSP standard",
            "--kind",
            CA,
        ],
    )?;
    let baseline = created["baseline_id"].as_str().context("baseline id")?.to_owned();
    ensure!(created["pinned_count"].as_u64() > Some(0), "{created:#}");
    let mut apply = vec!["drift", "baseline", "apply", baseline.as_str()];
    apply.extend(tenants.iter().map(String::as_str));
    let applied = cli_json(&world, &apply)?;
    ensure!(
        applied["applied_tenant_ids"].as_array().map(Vec::len) == Some(3),
        "{applied:#}"
    );
    for tenant in &tenants {
        let drift = drift_of(&world, tenant)?;
        ensure!(drift.is_empty(), "{tenant} matches the standard: {drift:#?}");
    }

    // One tenant's administrator disables a policy; the next sync shows it as drift.
    let changed = &tenants[1];
    audit_streams_read(&world, changed).await?;
    let policies = stored_objects(&mut world.clients, changed, CA).await?;
    let (policy_id, policy) = policies
        .iter()
        .find(|(_, p)| p.content["displayName"] == "Block high user risk" && p.content["state"] == "enabled")
        .context("the typical profile has an enabled \"Block high user risk\" policy")?;
    let policy_id = policy_id.clone();
    let name = policy.content["displayName"].clone();
    world.sim.mutate(
        changed,
        Mutation::DisableCaPolicy {
            policy_id: policy_id.clone(),
        },
    )?;
    sync_and_wait(&mut world.clients, changed).await?;
    let drift = drift_until(&world, changed, |d| !d.is_empty()).await?;
    ensure!(drift.len() == 1, "{drift:#?}");
    let item = &drift[0];
    ensure!(
        item["change"] == "changed" && item["state"] == "new" && item["display_name"] == name,
        "{item:#}"
    );
    ensure!(
        item["json_patch"] == serde_json::json!([{"op": "replace", "path": "/state", "value": "disabled"}]),
        "{item:#}"
    );
    ensure!(item["object_id"] == policy_id.as_str(), "{item:#}");
    // Who made the change: the administrator the directory audit log names for this policy.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let logged = loop {
        let logged = cli_json(&world, &["audit", "search", changed, "--target", &policy_id])?;
        let logged = logged.as_array().cloned().unwrap_or_default();
        if !logged.is_empty() || tokio::time::Instant::now() > deadline {
            break logged;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    ensure!(
        logged.len() == 1 && logged[0]["operation"] == "Update conditional access policy",
        "the audit log has the change: {logged:#?}"
    );
    ensure!(
        item["changed_by"] == logged[0]["user"]
            && item["changed_by"].as_str().is_some_and(|u| u.contains('@')),
        "{item:#}"
    );
    for tenant in [&tenants[0], &tenants[2]] {
        ensure!(drift_of(&world, tenant)?.is_empty(), "only {changed} drifted");
    }
    let drift_id = item["drift_id"].as_str().context("drift id")?.to_owned();

    // The overview counts it; the report lists it.
    let overview = cli_json(&world, &["overview", changed])?;
    ensure!(overview.to_string().contains("\"open_drift\":1"), "{overview:#}");
    let report_dir = tempfile::tempdir()?;
    let report = report_dir.path().join("report.html");
    let written = world.deployment.cli(&[
        "assess",
        "report",
        changed,
        "--out",
        report.to_str().context("utf-8 path")?,
    ])?;
    ensure!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let html = std::fs::read_to_string(&report)?;
    ensure!(
        html.contains("Configuration drift") && html.contains("Block high user risk"),
        "the report lists the drift"
    );
    // Titled with the tenant's name, not its GUID; the trend compares with the first sync's
    // assessment.
    let display_name = world.sim.tenant_info(changed)?.display_name;
    ensure!(
        html.contains(&format!("<title>Security assessment: {display_name}</title>")),
        "the report is titled with {display_name}"
    );
    ensure!(html.contains(" since "), "the report has a trend");

    // The all-tenants page: every tenant with its health and open drift.
    let fleet = report_dir.path().join("fleet.html");
    let written = world.deployment.cli(&[
        "overview",
        "--format",
        "html",
        "--out",
        fleet.to_str().context("utf-8 path")?,
    ])?;
    ensure!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let page = std::fs::read_to_string(&fleet)?;
    for tenant in std::iter::once(&template).chain(&tenants) {
        let name = world.sim.tenant_info(tenant)?.display_name;
        ensure!(page.contains(&name), "the overview page lists {name}");
    }
    ensure!(
        page.contains("<td class=\"num warn\">1</td>"),
        "the page counts the open drift"
    );
    if let Some(browser) = posture_testkit::browser::Browser::find("the browser check of the overview page") {
        let layout = browser
            .layout(&format!("overview-{mode:?}").to_lowercase(), &page, 1400, 900)
            .await;
        ensure!(
            layout.fits(),
            "the overview page does not fit 1400 px: {layout:#?}"
        );
    }

    // Accepted, it stays accepted until the policy changes again.
    let accepted = cli_json(
        &world,
        &[
            "drift",
            "accept",
            changed,
            &drift_id,
            "--reason",
            "report-only during the pilot",
        ],
    )?;
    ensure!(accepted["state"] == "accepted", "{accepted:#}");
    world.sim.mutate(
        changed,
        Mutation::SetCaPolicyState {
            policy_id,
            state: "enabledForReportingButNotEnforced".to_owned(),
        },
    )?;
    sync_and_wait(&mut world.clients, changed).await?;
    let reopened = drift_until(&world, changed, |d| d.iter().any(|i| i["state"] == "new")).await?;
    ensure!(
        reopened.len() == 1 && reopened[0]["drift_id"] == drift_id.as_str(),
        "{reopened:#?}"
    );
    ensure!(
        reopened[0]["json_patch"]
            == serde_json::json!([{"op": "replace", "path": "/state", "value": "enabledForReportingButNotEnforced"}]),
        "{reopened:#?}"
    );
    let shown = world.deployment.cli(&["drift", "show", changed, &drift_id])?;
    let text = String::from_utf8_lossy(&shown.stdout);
    ensure!(shown.status.success() && text.contains("reopened"), "{text}");

    // A baseline in use is not deleted; one no tenant has applied is.
    let refused = world
        .deployment
        .cli(&["drift", "baseline", "delete", &baseline])?;
    let why = String::from_utf8_lossy(&refused.stderr);
    ensure!(
        !refused.status.success() && why.contains("applied to 3 tenant"),
        "{why}"
    );
    let spare = cli_json(
        &world,
        &[
            "drift", "baseline", "create", &template, "--name", "spare", "--kind", CA,
        ],
    )?;
    let spare = spare["baseline_id"].as_str().context("baseline id")?.to_owned();
    let deleted = cli_json(&world, &["drift", "baseline", "delete", &spare])?;
    ensure!(deleted["deleted_at"].is_string(), "{deleted:#}");
    let gone = world.deployment.cli(&["drift", "baseline", "show", &spare])?;
    ensure!(!gone.status.success(), "the deleted baseline is gone");
    world.assert_activity_log().await
}

both_modes!(
    a_template_baseline_shows_each_tenants_drift_and_accepted_drift_reopens,
    drift_from_a_template_baseline
);
