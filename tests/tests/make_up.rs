//! The local distributed stack as an operator runs it: `make up` (one process per role on
//! PostgreSQL and NATS; the already built binary, no simulator of its own), a slow simulator
//! tenant synced through the gateway, SIGTERM to the sync worker in the middle of the run (as
//! Kubernetes stops a pod in a rollout): the worker drains and gives its unfinished jobs back, a
//! new worker started by running `make up` again picks them up, and the run completes with the
//! inventory equal to the tenant. `make down` stops the stack, also when the test fails.

use anyhow::ensure;
use posture_proto::v1 as pb;
use posture_tests::scenario::{
    World, assert_inventory_matches_truth, slow_tenant, start_sync, wait_for_run, wait_until_mid_run,
};
use posture_tests::{Launcher, Mode, Signal};

#[tokio::test(flavor = "multi_thread")]
async fn make_up_stack_completes_a_run_after_sigterm_to_its_sync_worker() -> anyhow::Result<()> {
    // Dropping the world runs `make down`, whether the test passes or not.
    let mut world = World::start_with(Mode::Distributed, Launcher::Make).await?;
    let (holders, on_a_command_line) = world.deployment.vault_key_exposure()?;
    ensure!(
        holders == ["credentials", "tokens"] && !on_a_command_line,
        "only credentials and tokens hold the vault key, and no command line shows it: {holders:?}"
    );
    let tenant = world.tenant(slow_tenant(31)).await?;
    let run_id = start_sync(&mut world.clients, &tenant).await?;
    wait_until_mid_run(&mut world.clients, &tenant, &run_id).await?;

    world.deployment.stop_sync_worker(Signal::Term)?;
    let logs = world.deployment.logs();
    ensure!(
        logs.contains("shutting down: stopping intake and draining"),
        "the sync worker drained on SIGTERM:\n{logs}"
    );
    world.deployment.start_sync_worker().await?;
    let run = wait_for_run(&mut world.clients, &tenant, &run_id).await?;
    ensure!(
        run.state == pb::SyncRunState::Succeeded as i32,
        "the run completes after a new worker starts: {run:#?}\n{}",
        world.deployment.logs()
    );
    // The draining worker gave back the jobs it could not finish in its grace period; their
    // second delivery went to the new worker.
    ensure!(
        run.entities.iter().any(|e| e.attempt >= 2),
        "a job given back was delivered again: {run:#?}"
    );
    assert_inventory_matches_truth(&mut world.clients, &world.sim, &tenant, &run, true).await?;
    world.deployment.stop()?;
    Ok(())
}
