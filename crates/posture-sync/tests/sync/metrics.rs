//! A sync run seen through the process's registry, as `/metrics` serves it: pages and objects
//! per kind, the job's outcome and duration, and the sync role's gRPC calls under the
//! go-grpc-prometheus names.

use posture_graph_sim::TenantSpec;

use crate::world::{sqlite_world, sync_and_wait};

fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn a_users_sync_is_counted_by_kind_in_pages_objects_jobs_and_grpc_calls() {
    let (world, tenant, process) = sqlite_world(TenantSpec {
        users: 250,
        ..TenantSpec::default()
    })
    .await;
    let run = sync_and_wait(&process, &tenant, &["users"]).await;
    assert_eq!(
        run.state,
        posture_proto::v1::SyncRunState::Succeeded as i32,
        "{run:?}"
    );

    let text = world.metrics.encode().expect("encode");
    let pages = value(&text, r#"posture_sync_pages_total{kind="users"}"#).expect("users pages");
    assert!(pages >= 2.0, "250 users span more than one page: {text}");
    assert_eq!(
        value(
            &text,
            r#"posture_sync_objects_total{kind="users",change="added"}"#
        ),
        Some(250.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"posture_sync_jobs_total{kind="users",outcome="succeeded"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(&text, r#"posture_sync_job_duration_seconds_count{kind="users"}"#),
        Some(1.0),
        "{text}"
    );
    let graph = value(
        &text,
        r#"posture_graph_requests_total{family="identity",status="200"}"#,
    )
    .expect("Graph requests of the identity family");
    assert!(graph >= pages, "at least one request per page: {text}");
    assert!(
        text.contains(r#"posture_graph_budget_wait_seconds_count{family="identity"}"#),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"grpc_server_handled_total{grpc_type="unary",grpc_service="posture.v1.SyncService",grpc_method="StartSync",grpc_code="OK"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert!(
        !text.contains(&tenant.tenant_id.to_string()),
        "no tenant id in any series: {text}"
    );
    process.shutdown.cancel();
}
