//! Configuration backup end to end, in both modes, through the CLI: a backup exported as of a
//! time before a Conditional Access policy changed holds the policy as it was; after the change
//! and a re-sync, diffing the backup (or that time) against now is the policy's patch, and the
//! restore plan is the PATCH that would undo it. An archive is refused for another tenant.
//! Scheduled backups land in a folder and in an S3-compatible bucket (moto), retention keeps the
//! newest, and the bucket's secret never reaches a log.

use anyhow::{Context, ensure};
use posture_graph_sim::{Mutation, TenantSpec, ThrottleMode};
use posture_proto::v1 as pb;
use posture_tests::scenario::{World, stored_objects, sync_and_wait};
use posture_tests::{Mode, both_modes};
use serde_json::{Value, json};

const CA: &str = "conditional_access_policies";

fn spec(seed: u64) -> TenantSpec {
    TenantSpec {
        seed,
        users: 30,
        throttling: ThrottleMode::Off,
        ..TenantSpec::default()
    }
}

/// Runs the CLI with JSON output and parses it; a failure carries the CLI's error.
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

/// The changes of one kind in a `backup diff` output.
fn changes_of(diff: &Value, kind: &str) -> Vec<Value> {
    diff.as_array()
        .map(|all| all.iter().filter(|c| c["entity_kind"] == kind).cloned().collect())
        .unwrap_or_default()
}

async fn backup_before_a_change_diffs_and_plans_the_change(mode: Mode) -> anyhow::Result<()> {
    let mut world = World::start(mode).await?;
    let tenant = world.tenant(spec(400)).await?;
    let run = sync_and_wait(&mut world.clients, &tenant).await?;
    ensure!(run.state() == pb::SyncRunState::Succeeded, "{run:#?}");
    let before_change = chrono::Utc::now();

    let policies = stored_objects(&mut world.clients, &tenant, CA).await?;
    let (policy_id, _) = policies
        .iter()
        .find(|(_, p)| p.content["state"] == "enabled")
        .context("the typical profile has an enabled Conditional Access policy")?;
    let policy_id = policy_id.clone();
    world.sim.mutate(
        &tenant,
        Mutation::DisableCaPolicy {
            policy_id: policy_id.clone(),
        },
    )?;
    sync_and_wait(&mut world.clients, &tenant).await?;

    // The export as of before the change holds the policy as it was, with its manifest.
    let dir = tempfile::tempdir()?;
    let archive = dir.path().join("backup.tar.gz");
    let archive_path = archive.to_str().context("UTF-8 path")?;
    let as_of = before_change.to_rfc3339();
    let exported = cli_json(
        &world,
        &[
            "backup",
            "export",
            &tenant,
            "--as-of",
            &as_of,
            "--out",
            archive_path,
        ],
    )?;
    let ca_count = exported["kinds"]
        .as_array()
        .and_then(|kinds| kinds.iter().find(|k| k["entity_kind"] == CA))
        .and_then(|k| k["objects"].as_u64());
    ensure!(ca_count == Some(policies.len() as u64), "{exported:#}");
    let (snapshot, manifest) =
        posture_backup_read(&archive, &tenant).context("the exported archive reads back")?;
    ensure!(manifest["format_version"] == 1, "{manifest:#}");
    let kept = snapshot
        .iter()
        .find(|o| o["entity_kind"] == CA && o["object_id"] == policy_id.as_str())
        .context("the policy is in the backup")?;
    ensure!(kept["content"]["state"] == "enabled", "{kept:#}");

    // Diffing the backup, or the time it was taken, against now is the policy's change.
    let wanted = json!([{"op": "replace", "path": "/state", "value": "disabled"}]);
    for diff in [
        cli_json(&world, &["backup", "diff", &tenant, "--from-file", archive_path])?,
        cli_json(&world, &["backup", "diff", &tenant, "--from", &as_of])?,
    ] {
        let ca = changes_of(&diff, CA);
        ensure!(ca.len() == 1, "one Conditional Access change: {diff:#}");
        ensure!(
            ca[0]["object_id"] == policy_id.as_str()
                && ca[0]["change"] == "changed"
                && ca[0]["json_patch"] == wanted,
            "{diff:#}"
        );
    }
    // Before the change nothing of the policies had changed yet.
    let unchanged = cli_json(
        &world,
        &[
            "backup",
            "diff",
            &tenant,
            "--from-file",
            archive_path,
            "--to",
            &as_of,
        ],
    )?;
    ensure!(changes_of(&unchanged, CA).is_empty(), "{unchanged:#}");

    // The restore plan PATCHes the policy's state back, and nothing else of the policies.
    let plan = cli_json(&world, &["backup", "plan", &tenant, "--from", archive_path])?;
    let calls: Vec<&Value> = plan["calls"]
        .as_array()
        .map(|calls| calls.iter().filter(|c| c["entity_kind"] == CA).collect())
        .unwrap_or_default();
    ensure!(calls.len() == 1, "{plan:#}");
    ensure!(
        calls[0]["method"] == "PATCH"
            && calls[0]["url"]
                == format!(
                    "https://graph.microsoft.com/v1.0/identity/conditionalAccess/policies/{policy_id}"
                )
                .as_str()
            && calls[0]["body"] == json!({"state": "enabled"}),
        "{plan:#}"
    );

    // The archive is another tenant's to any other tenant.
    let other = "0b6f3a52-1d2e-4c7a-9f00-000000000404";
    let refused = world
        .deployment
        .cli(&["backup", "plan", other, "--from", archive_path])?;
    let message = String::from_utf8_lossy(&refused.stderr);
    ensure!(
        !refused.status.success() && message.contains(&tenant) && message.contains(other),
        "{message}"
    );
    Ok(())
}

/// The archive's objects and manifest, read with the library the CLI uses.
fn posture_backup_read(path: &std::path::Path, tenant: &str) -> anyhow::Result<(Vec<Value>, Value)> {
    let file = std::fs::File::open(path)?;
    let (snapshot, manifest) = posture_backup::read_archive(file, Some(tenant))?;
    let objects = snapshot
        .objects
        .values()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((objects, serde_json::to_value(manifest)?))
}

both_modes!(
    a_backup_from_before_a_change_diffs_and_plans_that_change,
    backup_before_a_change_diffs_and_plans_the_change
);

/// Scheduled backups from the real process: with `backup.destination` a folder and a one-second
/// interval, each synced tenant's archives land under its folder, read back as its configuration,
/// and retention keeps only the newest two.
async fn scheduled_backups_to_a_folder(mode: Mode) -> anyhow::Result<()> {
    let folder = tempfile::tempdir()?;
    let destination = format!("\"file://{}\"", folder.path().display());
    let mut world = World::start_with_settings(
        mode,
        &[
            ("backup.destination", &destination),
            ("backup.interval_secs", "1"),
            ("backup.retention_count", "2"),
        ],
    )
    .await?;
    let tenant = world.tenant(spec(410)).await?;
    let run = sync_and_wait(&mut world.clients, &tenant).await?;
    ensure!(run.state() == pb::SyncRunState::Succeeded, "{run:#?}");
    let policies = stored_objects(&mut world.clients, &tenant, CA).await?;

    let dir = folder.path().join(&tenant);
    let archives = || -> Vec<std::path::PathBuf> {
        let mut found: Vec<_> = std::fs::read_dir(&dir)
            .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        found.sort();
        found
    };
    // The writer runs every second: within a few, more archives than retention keeps were made.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut newest_with_policies = None;
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let found = archives();
        ensure!(
            found.len() <= 3,
            "retention keeps two (plus one being written): {found:?}"
        );
        if let Some(newest) = found.last()
            && let Ok((objects, _)) = posture_backup_read(newest, &tenant)
        {
            let ca = objects.iter().filter(|o| o["entity_kind"] == CA).count();
            if ca == policies.len() && found.len() == 2 {
                newest_with_policies = Some(newest.clone());
                break;
            }
        }
    }
    let newest = newest_with_policies.context("no archive holding the synced policies appeared")?;
    let name = newest.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    ensure!(
        name.starts_with(&format!("{tenant}-")) && name.ends_with(".tar.gz"),
        "{name}"
    );
    // As new archives land the older ones go: still two a few intervals later.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let found = archives();
    ensure!(found.len() == 2, "{found:?}");
    Ok(())
}

/// Scheduled backups from the real process to an S3-compatible bucket (moto): archives land under
/// the configured prefix, retention keeps the newest two, and the bucket's secret key appears
/// nowhere in the process's logs.
async fn scheduled_backups_to_an_s3_bucket(mode: Mode) -> anyhow::Result<()> {
    use object_store::{ObjectStore as _, ObjectStoreExt as _};
    use posture_testkit::moto::{Moto, announce_skip};

    let Some(moto) = Moto::start("tenant-backups").await else {
        announce_skip();
        return Ok(());
    };
    let secret = "s3-secret-that-must-not-leak";
    let endpoint = format!("\"{}\"", moto.endpoint);
    let quoted_secret = format!("\"{secret}\"");
    let mut world = World::start_with_settings(
        mode,
        &[
            ("backup.destination", "\"s3://tenant-backups/posture\""),
            ("backup.interval_secs", "1"),
            ("backup.retention_count", "2"),
            ("backup.s3.endpoint", &endpoint),
            ("backup.s3.region", "\"eu-west-1\""),
            ("backup.s3.access_key_id", "\"posture\""),
            ("backup.s3.secret_access_key", &quoted_secret),
        ],
    )
    .await?;
    let tenant = world.tenant(spec(420)).await?;
    let run = sync_and_wait(&mut world.clients, &tenant).await?;
    ensure!(run.state() == pb::SyncRunState::Succeeded, "{run:#?}");
    let policies = stored_objects(&mut world.clients, &tenant, CA).await?;

    let bucket = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name("tenant-backups")
        .with_endpoint(&moto.endpoint)
        .with_allow_http(true)
        .with_region("eu-west-1")
        .with_access_key_id("posture")
        .with_secret_access_key(secret)
        .build()?;
    let folder = object_store::path::Path::from(format!("posture/{tenant}"));
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut newest_ok = false;
    while tokio::time::Instant::now() < deadline && !newest_ok {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let mut listed: Vec<_> = futures_collect(bucket.list(Some(&folder))).await?;
        listed.sort();
        ensure!(
            listed.len() <= 3,
            "retention keeps two (plus one being written): {listed:?}"
        );
        if listed.len() == 2
            && let Some(newest) = listed.last()
        {
            let bytes = bucket.get(newest).await?.bytes().await?;
            let (snapshot, _) = posture_backup::read_archive(&bytes[..], Some(&tenant))?;
            newest_ok = snapshot.objects.keys().filter(|(kind, _)| kind == CA).count() == policies.len();
        }
    }
    ensure!(
        newest_ok,
        "no archive holding the synced policies appeared in the bucket"
    );
    let logs = world.deployment.logs();
    ensure!(
        logs.contains("configuration backup"),
        "the writes are logged (so the next check reads real logs)"
    );
    ensure!(!logs.contains(secret), "the bucket's secret is in the logs");
    Ok(())
}

/// Every path of an object store listing.
async fn futures_collect(
    mut listing: futures::stream::BoxStream<'static, object_store::Result<object_store::ObjectMeta>>,
) -> anyhow::Result<Vec<object_store::path::Path>> {
    use futures::StreamExt as _;
    let mut paths = Vec::new();
    while let Some(meta) = listing.next().await {
        paths.push(meta?.location);
    }
    Ok(paths)
}

both_modes!(
    scheduled_backups_land_in_the_configured_folder_and_keep_the_newest,
    scheduled_backups_to_a_folder
);

both_modes!(
    scheduled_backups_land_in_an_s3_bucket_without_logging_its_secret,
    scheduled_backups_to_an_s3_bucket
);
