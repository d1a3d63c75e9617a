//! Scheduled configuration backups from the store on both engines, to a folder and to an
//! S3-compatible bucket (moto's server, started here on a free port): each tenant's archive of
//! an interval lands once under its time, reads back as the configuration of that time, and
//! retention by age and by count deletes the rest.

use std::time::Duration;

use chrono::{DateTime, Utc};
use object_store::ObjectStoreExt as _;
use posture_kit::db::test_support::TestDatabase;
use posture_kit::ids::{RunId, TenantId};
use posture_kit::telemetry::MetricsRegistry;
use posture_sync::backup::{BackupSettings, BackupWriter};
use posture_sync::state::Trigger;
use posture_sync::store::{Cursor, InventoryStore, NewRun, PageWrite, Upsert};
use secrecy::SecretString;

const TENANT_ID: &str = "8d3c1f9e-0000-4000-8000-0000000000b1";
const CA: &str = "conditional_access_policies";

fn tenant() -> TenantId {
    TENANT_ID.parse().expect("tenant id")
}

fn upsert(id: &str, content: &str, version: i64) -> Upsert {
    Upsert {
        object_id: id.to_owned(),
        display_name: format!("policy {id}"),
        content: content.to_owned(),
        content_hash: posture_sync::canonical::sha256_hex(content),
        state_hash: posture_sync::canonical::sha256_hex(content),
        version,
    }
}

/// A store holding one tenant's CA policy `p1`, enabled at `enabled_at` and disabled at
/// `disabled_at`.
async fn store_with_history(
    db: &TestDatabase,
    enabled_at: DateTime<Utc>,
    disabled_at: DateTime<Utc>,
) -> InventoryStore {
    let store = InventoryStore::new(db.connect("sync").await.expect("connect"));
    store.migrate().await.expect("migrate");
    let run = RunId::new_random();
    store
        .create_run(
            &NewRun {
                run_id: run,
                tenant_id: tenant(),
                trigger: Trigger::Manual,
                requested_by: "test",
                requested_at: enabled_at,
                kinds: &[CA],
            },
            &[],
        )
        .await
        .expect("run");
    for (now, content, version) in [
        (
            enabled_at,
            r#"{"displayName":"MFA","id":"p1","state":"enabled"}"#,
            1,
        ),
        (
            disabled_at,
            r#"{"displayName":"MFA","id":"p1","state":"disabled"}"#,
            2,
        ),
    ] {
        store
            .apply_page(&PageWrite {
                tenant_id: tenant(),
                kind: CA,
                run_id: run,
                attempt: 0,
                configuration: true,
                now,
                added: 1,
                upserts: vec![upsert("p1", content, version)],
                refreshes: vec![],
                removals: vec![],
                changed: 0,
                unchanged: 0,
                pages: 1,
                cursor: Cursor {
                    run_id: Some(run),
                    next_link: None,
                    delta_link: None,
                    complete_pass: true,
                },
                batch_size: 10,
            })
            .await
            .expect("page");
    }
    store
}

/// The start of `at`'s UTC day: the slot of a daily interval.
fn midnight(at: DateTime<Utc>) -> DateTime<Utc> {
    at.date_naive().and_hms_opt(0, 0, 0).map_or(at, |t| t.and_utc())
}

/// When the policy was disabled: an hour into the day two days ago, so the backup of that day
/// holds it enabled and the backup of the next day disabled.
fn change_time(now: DateTime<Utc>) -> DateTime<Utc> {
    midnight(now - chrono::Duration::days(2)) + chrono::Duration::hours(1)
}

fn settings(destination: String, s3: posture_kit::config::S3Config) -> BackupSettings {
    BackupSettings {
        destination,
        interval: Duration::from_secs(86_400),
        retention: Some(chrono::Duration::days(30)),
        keep: Some(2),
        s3,
    }
}

fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// The scenario both destinations share: four daily backups, the middle two around the change,
/// then pruning at `now` keeps the two newest, the oldest being past 30 days anyway.
async fn backups_land_once_read_back_and_are_pruned(
    writer: &BackupWriter,
    metrics: &MetricsRegistry,
    now: DateTime<Utc>,
) {
    let days = |d: i64| writer.slot(now - chrono::Duration::days(d));
    writer.run_once(days(40), now).await;
    for d in [3, 2, 1] {
        let written = writer.export(&tenant(), days(d)).await.expect("export");
        assert!(written.written, "{written:?}");
        assert!(
            written.path.ends_with(&format!(
                "{TENANT_ID}-{}.tar.gz",
                days(d).format("%Y%m%dT%H%M%SZ")
            )),
            "{written:?}"
        );
    }
    let again = writer.export(&tenant(), days(1)).await.expect("export again");
    assert!(!again.written, "an interval's archive is written once: {again:?}");

    // run_once wrote the 40-day-old archive and then pruned it already (past 30 days).
    let text = metrics.encode().expect("encode");
    assert_eq!(
        value(&text, r#"posture_sync_backups_total{outcome="written"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(&text, r#"posture_sync_backups_total{outcome="pruned"}"#),
        Some(1.0),
        "{text}"
    );

    let pruned = writer.prune(&tenant(), now).await.expect("prune");
    assert_eq!(pruned.len(), 1, "the third newest goes: {pruned:?}");
    assert!(
        pruned[0].contains(&days(3).format("%Y%m%d").to_string()),
        "{pruned:?}"
    );
    let mut left: Vec<_> = writer
        .archives(&tenant())
        .await
        .expect("list")
        .into_iter()
        .map(|(at, _)| at)
        .collect();
    left.sort();
    assert_eq!(left, vec![days(2), days(1)]);
}

/// The archive's CA policy state.
fn policy_state(bytes: &[u8]) -> String {
    let (snapshot, manifest) = posture_backup::read_archive(bytes, Some(TENANT_ID)).expect("a valid archive");
    assert_eq!(manifest.tenant_id, TENANT_ID);
    let policy = snapshot
        .objects
        .get(&(CA.to_owned(), "p1".to_owned()))
        .expect("p1 in the archive");
    policy.content["state"].as_str().unwrap_or_default().to_owned()
}

posture_kit::db_test!(
    scheduled_backups_land_in_a_folder_as_of_their_interval_and_retention_prunes_them,
    |db: TestDatabase| async move {
        let now = Utc::now();
        let store = store_with_history(&db, now - chrono::Duration::days(50), change_time(now)).await;
        let folder = tempfile::tempdir().expect("tempdir");
        let destination = format!("file://{}/nested", folder.path().display());
        let metrics = MetricsRegistry::default();
        let writer =
            BackupWriter::new(store, settings(destination, Default::default()), &metrics).expect("writer");
        backups_land_once_read_back_and_are_pruned(&writer, &metrics, now).await;

        let dir = folder.path().join("nested").join(TENANT_ID);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("tenant folder")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        assert_eq!(files.len(), 2, "{files:?}");
        // Two days ago the policy was enabled; one day ago, after the change, disabled.
        assert_eq!(policy_state(&std::fs::read(&files[0]).expect("read")), "enabled");
        assert_eq!(policy_state(&std::fs::read(&files[1]).expect("read")), "disabled");
    }
);

posture_kit::db_test!(
    scheduled_backups_land_in_an_s3_bucket_and_retention_prunes_them,
    |db: TestDatabase| async move {
        posture_graph::install_crypto_provider();
        let Some(moto) = posture_testkit::moto::Moto::start("posture-backups").await else {
            posture_testkit::moto::announce_skip();
            return;
        };

        let now = Utc::now();
        let store = store_with_history(&db, now - chrono::Duration::days(50), change_time(now)).await;
        let metrics = MetricsRegistry::default();
        let s3 = posture_kit::config::S3Config {
            endpoint: moto.endpoint.clone(),
            region: "eu-west-1".into(),
            access_key_id: "posture-test".into(),
            secret_access_key: Some(SecretString::from("not-a-real-secret")),
        };
        let writer = BackupWriter::new(
            store,
            settings("s3://posture-backups/nightly".into(), s3.clone()),
            &metrics,
        )
        .expect("writer");
        backups_land_once_read_back_and_are_pruned(&writer, &metrics, now).await;

        // Read the bucket independently of the writer.
        let bucket = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name("posture-backups")
            .with_endpoint(&moto.endpoint)
            .with_allow_http(true)
            .with_region("eu-west-1")
            .with_access_key_id("posture-test")
            .with_secret_access_key("not-a-real-secret")
            .build()
            .expect("bucket");
        let newest = writer.slot(now - chrono::Duration::days(1));
        let path = format!(
            "nightly/{TENANT_ID}/{TENANT_ID}-{}.tar.gz",
            newest.format("%Y%m%dT%H%M%SZ")
        );
        let bytes = bucket
            .get(&object_store::path::Path::from(path.as_str()))
            .await
            .expect("the newest archive is in the bucket")
            .bytes()
            .await
            .expect("read");
        assert_eq!(policy_state(&bytes), "disabled");
    }
);
