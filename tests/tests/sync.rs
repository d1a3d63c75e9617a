//! The main job end to end, through the public gateway, in both deployment modes (the same body
//! runs against one standalone process and against one process per role on PostgreSQL and NATS,
//! started with deploy/scripts/up.sh): a simulator tenant is synced and the inventory equals the
//! simulator's ground truth; changes in the tenant become new versions of exactly the changed
//! objects and flip the controls they decide; a sync worker killed mid-run is replaced and the run
//! completes with nothing lost or counted twice; missing permissions and licences end as entity
//! errors and control errors naming them; throttling and injected 5xx are absorbed.

use std::collections::BTreeMap;

use anyhow::{Context, ensure};
use posture_graph_sim::{FaultRule, FaultSpec, Licences, Mutation, TenantSpec, ThrottleMode};
use posture_proto::v1 as pb;
use posture_tests::scenario::{
    World, assert_inventory_matches_truth, declare_emergency_accounts, entity, findings_of_run, result_of,
    slow_tenant, start_sync, stored_objects, sync_and_wait, synced_kinds, wait_for_run, wait_until_mid_run,
};
use posture_tests::{Mode, Signal, both_modes};

/// A tenant small enough for seconds-long runs, without throttling unless a test wants it.
fn tenant_spec(seed: u64, users: u32) -> TenantSpec {
    TenantSpec {
        seed,
        users,
        throttling: ThrottleMode::Off,
        ..TenantSpec::default()
    }
}

/// `posture inventory list` shows the first page it is asked for and says more exist; `--all`
/// pages through every object.
fn cli_lists_every_user_only_when_asked(world: &World, tenant_id: &str, users: u64) -> anyhow::Result<()> {
    let listed = |extra: &[&str]| -> anyhow::Result<(usize, String)> {
        let mut args = vec!["inventory", "list", tenant_id, "--kind", "users", "-o", "json"];
        args.extend_from_slice(extra);
        let output = world.deployment.cli(&args)?;
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        ensure!(output.status.success(), "posture {args:?} failed: {stderr}");
        let objects: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout)?;
        Ok((objects.len(), stderr))
    };
    let (shown, note) = listed(&["--limit", "50"])?;
    ensure!(shown == 50, "--limit 50 listed {shown}");
    ensure!(note.contains("more exist"), "a cut list says so: {note:?}");
    let (all, note) = listed(&["--all"])?;
    ensure!(all as u64 == users, "--all listed {all} of {users} users");
    ensure!(!note.contains("more exist"), "{note}");

    // The same tenant addressed by its display name.
    let shown = world
        .deployment
        .cli(&["tenants", "show", tenant_id, "-o", "json"])?;
    let name = serde_json::from_slice::<serde_json::Value>(&shown.stdout)?["display_name"]
        .as_str()
        .context("the tenant has a display name")?
        .to_uppercase();
    let by_name = world.deployment.cli(&[
        "inventory",
        "list",
        &name,
        "--kind",
        "users",
        "--limit",
        "3",
        "-o",
        "json",
    ])?;
    ensure!(
        by_name.status.success(),
        "by name: {}",
        String::from_utf8_lossy(&by_name.stderr)
    );
    ensure!(serde_json::from_slice::<Vec<serde_json::Value>>(&by_name.stdout)?.len() == 3);
    let unknown = world.deployment.cli(&["sync", "runs", "No Such Customer"])?;
    ensure!(!unknown.status.success());
    ensure!(String::from_utf8_lossy(&unknown.stderr).contains("no tenant is named"));
    Ok(())
}

async fn first_sync_matches_ground_truth(mode: Mode) -> anyhow::Result<()> {
    let mut world = World::start(mode).await?;
    let tenant = world.tenant(tenant_spec(21, 1_200)).await?;

    let run = sync_and_wait(&mut world.clients, &tenant).await?;
    ensure!(
        run.state() == pb::SyncRunState::Succeeded,
        "{mode:?}: {run:#?}\n{}",
        world.deployment.logs()
    );
    let kinds = synced_kinds(&mut world.clients).await?;
    ensure!(run.entities.len() == kinds.len(), "one entity per kind: {run:#?}");
    assert_inventory_matches_truth(&mut world.clients, &world.sim, &tenant, &run, true).await?;
    ensure!(
        entity(&run, "users")?.pages >= 2,
        "1,200 users come in more than one page"
    );
    let users = entity(&run, "users")?.counts.unwrap_or_default().added;
    cli_lists_every_user_only_when_asked(&world, &tenant, users)?;

    // Nothing changed in the tenant: the second run adds, changes and removes nothing.
    let again = sync_and_wait(&mut world.clients, &tenant).await?;
    ensure!(again.state() == pb::SyncRunState::Succeeded, "{again:#?}");
    let totals = again.totals.unwrap_or_default();
    ensure!(
        (totals.added, totals.changed, totals.removed) == (0, 0, 0),
        "{mode:?}: an unchanged tenant re-synced: {totals:?}"
    );
    assert_inventory_matches_truth(&mut world.clients, &world.sim, &tenant, &again, false).await?;
    world.assert_activity_log().await?;
    Ok(())
}

both_modes!(
    first_sync_equals_ground_truth_and_resync_changes_nothing,
    first_sync_matches_ground_truth
);

/// The stored versions of a configuration object, newest first.
async fn versions(
    world: &mut World,
    tenant: &str,
    kind: &str,
    id: &str,
) -> anyhow::Result<Vec<pb::ObjectVersion>> {
    Ok(world
        .clients
        .inventory
        .list_object_versions(pb::ListObjectVersionsRequest {
            tenant_id: tenant.to_owned(),
            entity_kind: kind.to_owned(),
            object_id: id.to_owned(),
            page_size: 500,
            page_token: String::new(),
        })
        .await
        .with_context(|| format!("versions of {kind} {id}"))?
        .into_inner()
        .versions)
}

const HIGH_RISK_USERS_BLOCKED: &str = "entra.ca.high-risk-users-blocked";
const GLOBAL_ADMIN_COUNT_CIS: &str = "entra.roles.global-admin-count-cis";

async fn changes_become_versions_and_flip_controls(mode: Mode) -> anyhow::Result<()> {
    let mut world = World::start(mode).await?;
    // Typical: the "Block high user risk" policy is on and there are four Global Administrators.
    let tenant = world.tenant(tenant_spec(22, 300)).await?;
    let assesses = world.assesses();
    if assesses {
        declare_emergency_accounts(&mut world.clients, &world.sim, &tenant).await?;
    }
    let first = sync_and_wait(&mut world.clients, &tenant).await?;
    ensure!(first.state() == pb::SyncRunState::Succeeded, "{first:#?}");
    // An assessment judges the inventory as it stands when it reads it: take the first run's
    // before the tenant changes and a second run rewrites the inventory.
    let before = if assesses {
        Some(findings_of_run(&mut world.clients, &tenant, &first.run_id).await?)
    } else {
        None
    };

    let policies = stored_objects(&mut world.clients, &tenant, "conditional_access_policies").await?;
    let target = policies
        .iter()
        .find(|(_, p)| p.content["displayName"] == "Block high user risk" && p.content["state"] == "enabled")
        .map(|(id, _)| id.clone())
        .context("the typical profile has an enabled \"Block high user risk\" policy")?;
    let assignments = stored_objects(&mut world.clients, &tenant, "role_assignments").await?;
    world.sim.mutate(
        &tenant,
        Mutation::DisableCaPolicy {
            policy_id: target.clone(),
        },
    )?;
    world
        .sim
        .mutate(&tenant, Mutation::AddGlobalAdmin { user_id: None })?;

    let second = sync_and_wait(&mut world.clients, &tenant).await?;
    ensure!(second.state() == pb::SyncRunState::Succeeded, "{second:#?}");
    let ca = entity(&second, "conditional_access_policies")?
        .counts
        .unwrap_or_default();
    ensure!(
        (ca.added, ca.changed, ca.removed, ca.unchanged as usize) == (0, 1, 0, policies.len() - 1),
        "{mode:?}: only the disabled policy changed: {ca:?}"
    );
    let ra = entity(&second, "role_assignments")?.counts.unwrap_or_default();
    ensure!(
        (ra.added, ra.changed, ra.removed) == (1, 0, 0),
        "{mode:?}: one new assignment: {ra:?}"
    );
    assert_inventory_matches_truth(&mut world.clients, &world.sim, &tenant, &second, false).await?;

    // The changed policy has a second version from the second run; no other object of any
    // configuration kind has one, and the new assignment's only version is from that run.
    for kind in synced_kinds(&mut world.clients)
        .await?
        .into_iter()
        .filter(|k| k.configuration)
    {
        let current = stored_objects(&mut world.clients, &tenant, kind.name).await?;
        for id in current.keys() {
            let listed = versions(&mut world, &tenant, kind.name, id).await?;
            if kind.name == "conditional_access_policies" && *id == target {
                ensure!(
                    listed.len() == 2 && listed[0].version == 2 && listed[0].run_id == second.run_id,
                    "{mode:?}: the disabled policy has a new version from run {}: {listed:?}",
                    second.run_id
                );
            } else {
                ensure!(
                    listed.len() == 1 && listed[0].version == 1,
                    "{mode:?}: unchanged {} {id} has no new version: {listed:?}",
                    kind.name
                );
            }
        }
    }
    let now_assigned = stored_objects(&mut world.clients, &tenant, "role_assignments").await?;
    let added: Vec<&String> = now_assigned
        .keys()
        .filter(|id| !assignments.contains_key(*id))
        .collect();
    ensure!(added.len() == 1, "{mode:?}: one new assignment: {added:?}");
    let listed = versions(&mut world, &tenant, "role_assignments", added[0]).await?;
    ensure!(
        listed[0].run_id == second.run_id,
        "{mode:?}: the new assignment comes from the second run: {listed:?}"
    );
    ensure!(now_assigned.len() == assignments.len() + 1);

    // Each completed run was assessed; the two assessments differ in the controls the changes decide.
    if let Some(before) = before {
        let after = findings_of_run(&mut world.clients, &tenant, &second.run_id).await?;
        let flip = |control: &str, was: &[pb::ControlResult]| -> anyhow::Result<()> {
            ensure!(
                was.contains(&result_of(&before, control)?)
                    && result_of(&after, control)? == pb::ControlResult::Fail,
                "{mode:?}: {control} flips from {was:?} to fail: before {:#?}\nafter {:#?}",
                before.get(control),
                after.get(control)
            );
            Ok(())
        };
        flip(HIGH_RISK_USERS_BLOCKED, &[pb::ControlResult::Pass])?;
        // Four Global Administrators, one of them through a group whose members this build does not
        // sync yet (a warning that says so); five fail.
        flip(
            GLOBAL_ADMIN_COUNT_CIS,
            &[pb::ControlResult::Pass, pb::ControlResult::Warning],
        )?;
        let (was, now) = (&before[GLOBAL_ADMIN_COUNT_CIS], &after[GLOBAL_ADMIN_COUNT_CIS]);
        ensure!(
            now.evidence_total == was.evidence_total + 1 && now.reason.contains('5'),
            "{mode:?}: the new Global Administrator is counted: {now:#?}"
        );
        let evidence = &after[HIGH_RISK_USERS_BLOCKED];
        ensure!(
            evidence.reason.contains("Block high user risk")
                || evidence
                    .evidence
                    .iter()
                    .any(|e| e.object.as_ref().is_some_and(|o| o.object_id == target)),
            "{mode:?}: the failing control points at the disabled policy: {evidence:#?}"
        );
    } else {
        eprintln!("{mode:?}: this build has no assessment role; control results are not checked");
    }
    world.assert_activity_log().await?;
    Ok(())
}

both_modes!(
    changes_become_new_versions_and_flip_the_controls,
    changes_become_versions_and_flip_controls
);

async fn killed_sync_worker_is_replaced(mode: Mode) -> anyhow::Result<()> {
    let mut world = World::start(mode).await?;
    let tenant = world.tenant(slow_tenant(23)).await?;
    let run_id = start_sync(&mut world.clients, &tenant).await?;
    wait_until_mid_run(&mut world.clients, &tenant, &run_id).await?;
    world.deployment.stop_sync_worker(Signal::Kill)?;
    world.deployment.start_sync_worker().await?;
    if mode == Mode::Standalone {
        // The gateway died with the process: a new channel.
        world.clients =
            posture_tests::GatewayClients::connect(&world.deployment.gateway, &world.deployment.admin_key)
                .await?;
    }

    let run = wait_for_run(&mut world.clients, &tenant, &run_id).await?;
    ensure!(
        run.state() == pb::SyncRunState::Succeeded,
        "{mode:?}: the interrupted run completes: {run:#?}\n{}",
        world.deployment.logs()
    );
    if mode == Mode::Distributed {
        // JetStream delivered the dead worker's unacknowledged jobs again, to the new worker.
        ensure!(
            run.entities.iter().any(|e| e.attempt >= 2),
            "a job of the killed worker was delivered again: {run:#?}"
        );
    }
    // Every kind's `added` equals what is stored and what the tenant has: nothing lost, nothing
    // counted or stored twice.
    assert_inventory_matches_truth(&mut world.clients, &world.sim, &tenant, &run, true).await?;
    Ok(())
}

both_modes!(
    sync_worker_killed_mid_run_is_replaced_and_the_run_completes,
    killed_sync_worker_is_replaced
);

/// Permissions the first tenant's admin did not consent to.
const WITHHELD: [&str; 2] = ["Policy.Read.All", "AuditLog.Read.All"];

async fn permission_and_licence_gaps_are_named(mode: Mode) -> anyhow::Result<()> {
    let mut world = World::start(mode).await?;
    let granted: Vec<String> = posture_graph_sim::permissions::GRAPH_NEEDED
        .iter()
        .chain(posture_graph_sim::permissions::MDE_NEEDED)
        .chain(posture_graph_sim::permissions::MANAGE_NEEDED)
        .chain(posture_graph_sim::permissions::EXCHANGE_NEEDED)
        .filter(|p| !WITHHELD.contains(p))
        .map(|p| (*p).to_owned())
        .collect();
    let unconsented = world
        .tenant(TenantSpec {
            permissions: Some(granted),
            ..tenant_spec(24, 200)
        })
        .await?;
    let without_p2 = world
        .tenant(TenantSpec {
            licences: Licences {
                p2: false,
                e5: false,
                ..Licences::default()
            },
            ..tenant_spec(25, 200)
        })
        .await?;
    let kinds = synced_kinds(&mut world.clients).await?;

    // Kinds that need a withheld permission fail naming it; the others succeed.
    let run = sync_and_wait(&mut world.clients, &unconsented).await?;
    ensure!(
        run.state() == pb::SyncRunState::PartiallySucceeded,
        "{mode:?}: {run:#?}"
    );
    let mut failed = BTreeMap::new();
    for kind in &kinds {
        let e = entity(&run, kind.name)?;
        let needs: Vec<&str> = kind
            .spec()
            .permissions
            .iter()
            .copied()
            .filter(|p| WITHHELD.contains(p))
            .collect();
        let allowed_otherwise = kind
            .spec()
            .accepted_instead
            .iter()
            .any(|p| !WITHHELD.contains(p) && posture_graph_sim::permissions::GRAPH_NEEDED.contains(p));
        if needs.is_empty() || allowed_otherwise {
            ensure!(
                e.state == pb::EntitySyncState::Succeeded as i32,
                "{mode:?}: {} needs nothing withheld: {e:#?}",
                kind.name
            );
            continue;
        }
        let reason = e.error.clone().unwrap_or_default();
        ensure!(
            e.state == pb::EntitySyncState::Failed as i32
                && reason.error_class == pb::ErrorClass::Permission as i32
                && reason
                    .missing_permissions
                    .iter()
                    .any(|p| needs.contains(&p.as_str())),
            "{mode:?}: {} fails naming {needs:?}: {e:#?}",
            kind.name
        );
        failed.insert(kind.name, needs);
    }
    ensure!(failed.contains_key("conditional_access_policies"), "{failed:?}");
    assert_inventory_matches_truth(&mut world.clients, &world.sim, &unconsented, &run, true).await?;

    // Without Entra ID P2 the PIM kinds are skipped with a licence reason; the run succeeds.
    let run_p2 = sync_and_wait(&mut world.clients, &without_p2).await?;
    ensure!(
        run_p2.state() == pb::SyncRunState::Succeeded,
        "{mode:?}: {run_p2:#?}"
    );
    let mut skipped = Vec::new();
    for kind in &kinds {
        let e = entity(&run_p2, kind.name)?;
        if e.state == pb::EntitySyncState::Skipped as i32 {
            let reason = e.error.clone().unwrap_or_default();
            ensure!(
                reason.error_class == pb::ErrorClass::License as i32 && reason.message.contains("P2"),
                "{mode:?}: {} is skipped for want of P2: {reason:?}",
                kind.name
            );
            skipped.push(kind.name);
        } else {
            ensure!(
                e.state == pb::EntitySyncState::Succeeded as i32,
                "{mode:?}: {e:#?}"
            );
        }
    }
    ensure!(
        skipped.contains(&"role_eligibility_instances"),
        "{mode:?}: PIM eligibility needs P2: {skipped:?}"
    );
    assert_inventory_matches_truth(&mut world.clients, &world.sim, &without_p2, &run_p2, true).await?;

    if world.assesses() {
        // Controls that read Conditional Access cannot be decided, and say which permission is missing.
        let findings = findings_of_run(&mut world.clients, &unconsented, &run.run_id).await?;
        for control in [
            "entra.ca.mfa-admins",
            "entra.ca.mfa-all-users",
            HIGH_RISK_USERS_BLOCKED,
        ] {
            let f = findings
                .get(control)
                .with_context(|| format!("no finding for {control}"))?;
            ensure!(
                f.result() == pb::ControlResult::Error && f.reason.contains("Policy.Read.All"),
                "{mode:?}: {control} is an error naming Policy.Read.All: {f:#?}"
            );
        }
        // SCuBA's PIM controls still apply without P2: they fail, naming the missing licence (an
        // error when the licences themselves could not be read).
        let findings = findings_of_run(&mut world.clients, &without_p2, &run_p2.run_id).await?;
        let f = findings
            .get("entra.roles.no-permanent-active-assignments")
            .context("no finding for permanent assignments")?;
        ensure!(
            matches!(f.result(), pb::ControlResult::Fail | pb::ControlResult::Error)
                && f.reason.contains("P2"),
            "{mode:?}: the PIM control names the missing P2 licence: {f:#?}"
        );
    } else {
        eprintln!("{mode:?}: this build has no assessment role; control results are not checked");
    }
    world.assert_activity_log().await?;
    Ok(())
}

both_modes!(
    permission_and_licence_gaps_end_as_named_errors,
    permission_and_licence_gaps_are_named
);

async fn throttling_and_faults_are_absorbed(mode: Mode) -> anyhow::Result<()> {
    let mut world = World::start(mode).await?;
    let tenant = world.tenant(tenant_spec(26, 1_000)).await?;
    // Microsoft's own limits (Conditional Access allows one call a second), and a share of every
    // Graph call failing with 429 (Retry-After), 5xx, a dropped connection or a cut body.
    world.sim.set_throttling(&tenant, ThrottleMode::Realistic)?;
    world.sim.set_faults(
        &tenant,
        FaultSpec {
            seed: 17,
            rules: vec![FaultRule {
                path: "/v1.0/*".into(),
                error_rate: 0.2,
                error_statuses: vec![429, 500, 502, 503, 504],
                drop_rate: 0.03,
                truncate_rate: 0.03,
                ..FaultRule::default()
            }],
        },
    )?;
    let run = sync_and_wait(&mut world.clients, &tenant).await?;
    ensure!(
        run.state() == pb::SyncRunState::Succeeded,
        "{mode:?}: faults are absorbed: {run:#?}"
    );
    assert_inventory_matches_truth(&mut world.clients, &world.sim, &tenant, &run, true).await?;
    let log = world.sim.request_log(&tenant);
    let throttled = log.iter().filter(|r| r.status == 429).count();
    let failed = log
        .iter()
        .filter(|r| r.status >= 500 || (r.fault.is_some() && r.status != 429))
        .count();
    ensure!(
        throttled > 0 && failed > 0,
        "{mode:?}: the run met throttling ({throttled}) and failures ({failed})"
    );
    Ok(())
}

both_modes!(
    throttling_and_injected_5xx_are_absorbed,
    throttling_and_faults_are_absorbed
);
