//! Purging a removed tenant's data: a purge asked for with the deletion waits for its grace
//! period, then deletes the role's own rows naming the tenant and announces `TenantPurged`; a
//! reconnect before then cancels it; `purge_now` alone is refused. PostgreSQL and SQLite.

mod common;

use std::time::Duration as StdDuration;

use chrono::Duration;
use common::*;
use posture_bus::ConsumerConfig;
use posture_bus::topics::TENANT_PURGED;
use posture_kit::db::test_support::TestDatabase;
use posture_kit::time::timestamp;
use posture_proto::events::v1::TenantPurged;
use posture_proto::v1::DeleteConnectionRequest;
use tokio_util::sync::CancellationToken;
use tonic::Code;

fn options() -> Options {
    let mut options = Options::default();
    options.settings.purge_grace = StdDuration::from_secs(24 * 3600);
    options.settings.purge_check_interval = StdDuration::from_millis(50);
    options
}

fn remove(tenant: &str, purge: bool, purge_now: bool) -> DeleteConnectionRequest {
    DeleteConnectionRequest {
        tenant_id: tenant.to_owned(),
        confirm_tenant_id: tenant.to_owned(),
        reason: "customer left".to_owned(),
        purge,
        purge_now,
    }
}

/// Rows of the credentials schema that name `tenant` (connections, secrets, health, the access
/// log, the deletion audit, pending purges).
async fn rows_naming(h: &Harness, tenant: &str) -> i64 {
    let db = h.db.connect("credentials").await.expect("connect");
    let mut total = 0;
    for table in [
        "connections",
        "sealed_secrets",
        "connection_health",
        "credential_access_log",
        "connection_deletions",
        "tenant_purges",
    ] {
        let sql = format!("SELECT count(*) FROM {table} WHERE tenant_id = $1");
        let count: i64 = posture_kit::on_backend!(&db, |pool| {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(tenant)
                .fetch_one(pool)
                .await
                .expect("count")
        });
        total += count;
    }
    total
}

/// The next `TenantPurged` within `wait`, or `None`.
async fn next_purge(
    consumer: &mut Box<dyn posture_bus::Consumer>,
    wait: StdDuration,
) -> Option<TenantPurged> {
    let cancel = CancellationToken::new();
    let delivery = tokio::time::timeout(wait, consumer.next(&cancel))
        .await
        .ok()?
        .expect("bus")?;
    let event = delivery.decode::<TenantPurged>().expect("decode");
    delivery.ack().await.expect("ack");
    Some(event)
}

posture_kit::db_test!(
    a_purge_waits_for_its_grace_period_then_deletes_and_announces,
    |db: TestDatabase| async move {
        let mut h = Harness::start_with(db, options()).await;
        let mut purges = h
            .bus
            .consumer(ConsumerConfig::new("test-tenant-purged", TENANT_PURGED.filter()).expect("config"))
            .await
            .expect("consumer");
        h.connections
            .create_connection(as_admin(create_request(TENANT_A, SECRET)))
            .await
            .expect("create");
        h.connections
            .create_connection(as_admin(create_request(TENANT_B, SECRET)))
            .await
            .expect("create");
        let removed = h
            .connections
            .delete_connection(as_admin(remove(TENANT_A, true, false)))
            .await
            .expect("remove")
            .into_inner();
        assert_eq!(
            removed.purge_at,
            Some(timestamp(start_time() + Duration::days(1)))
        );
        assert!(
            next_purge(&mut purges, StdDuration::from_millis(500))
                .await
                .is_none(),
            "nothing is purged during the grace period"
        );
        assert!(
            rows_naming(&h, TENANT_A).await > 0,
            "the deletion audit is kept meanwhile"
        );

        h.clock.advance(Duration::days(1));
        let purged = next_purge(&mut purges, StdDuration::from_secs(5))
            .await
            .expect("TenantPurged once the grace period is over");
        assert_eq!(purged.tenant_id, TENANT_A);
        assert_eq!(purged.requested_by, ADMIN);
        assert_eq!(rows_naming(&h, TENANT_A).await, 0);
        assert!(rows_naming(&h, TENANT_B).await > 0, "another tenant is untouched");
        assert!(
            next_purge(&mut purges, StdDuration::from_millis(300))
                .await
                .is_none(),
            "announced once"
        );
        h.stop().await;
    }
);

posture_kit::db_test!(
    reconnecting_before_the_purge_is_due_cancels_it,
    |db: TestDatabase| async move {
        let mut h = Harness::start_with(db, options()).await;
        let mut purges = h
            .bus
            .consumer(ConsumerConfig::new("test-tenant-purged", TENANT_PURGED.filter()).expect("config"))
            .await
            .expect("consumer");
        h.connections
            .create_connection(as_admin(create_request(TENANT_A, SECRET)))
            .await
            .expect("create");
        h.connections
            .delete_connection(as_admin(remove(TENANT_A, true, false)))
            .await
            .expect("remove");
        h.connections
            .create_connection(as_admin(create_request(TENANT_A, SECRET)))
            .await
            .expect("reconnect");
        h.clock.advance(Duration::days(2));
        assert!(
            next_purge(&mut purges, StdDuration::from_millis(800))
                .await
                .is_none(),
            "a reconnected tenant keeps its history"
        );
        h.connection(TENANT_A).await.expect("still connected");
        h.stop().await;
    }
);

posture_kit::db_test!(
    purge_now_without_purge_is_invalid_argument,
    |db: TestDatabase| async move {
        let mut h = Harness::start_with(db, options()).await;
        h.connections
            .create_connection(as_admin(create_request(TENANT_A, SECRET)))
            .await
            .expect("create");
        let refused = h
            .connections
            .delete_connection(as_admin(remove(TENANT_A, false, true)))
            .await
            .expect_err("purge_now needs purge");
        assert_eq!(refused.code(), Code::InvalidArgument);
        assert!(refused.message().contains("purge_now"), "{}", refused.message());
        h.connection(TENANT_A).await.expect("not deleted");
        h.stop().await;
    }
);
