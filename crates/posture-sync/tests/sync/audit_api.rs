//! AuditService over real gRPC: searches page newest first and filter by operation, user, time and
//! workload, bad requests get the code that says what to fix, and ListAuditStreams names a stream
//! that lacks its permission with the fix while the others are read.

use std::collections::BTreeSet;

use posture_graph_sim::TenantSpec;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1 as pb;
use posture_proto::v1::audit_service_client::AuditServiceClient;
use posture_sync::audit::CONTENT_TYPES;
use tonic::Code;

use crate::audit::{assert_logs_match, ingest_at, stored_ids, synced_world};
use crate::world::{new_world, settings, sync_and_wait, tenant_id};

#[tokio::test]
async fn search_audit_events_pages_newest_first_filters_and_refuses_bad_requests() {
    let (world, tenant, process) = synced_world(TestDatabase::sqlite().expect("sqlite")).await;
    let tid = tenant.tenant_id.to_string();
    ingest_at(&process, world.sim.now())
        .read_tenant(tenant_id(&tenant))
        .await
        .expect("streams read");
    let mut api = AuditServiceClient::new(process.channel.clone());
    let request = |page_token: String| pb::SearchAuditEventsRequest {
        tenant_id: tid.clone(),
        workload: "sharepoint".into(),
        page_size: 7,
        page_token,
        ..Default::default()
    };

    // Every SharePoint event, newest first, across pages, each once.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = api
            .search_audit_events(request(token))
            .await
            .expect("search")
            .into_inner();
        assert!(page.events.len() <= 7);
        seen.extend(page.events);
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    let expected = stored_ids(&process, &tenant, "Audit.SharePoint").await;
    assert_eq!(seen.len(), expected.len());
    assert_eq!(
        seen.iter().map(|e| e.record_id.clone()).collect::<BTreeSet<_>>(),
        expected
    );
    let key = |e: &pb::AuditEvent| {
        let at = e.occurred_at.expect("occurred_at");
        (at.seconds, at.nanos, e.source.clone(), e.record_id.clone())
    };
    assert!(seen.windows(2).all(|w| key(&w[0]) > key(&w[1])), "newest first");
    let first = &seen[0];
    assert_eq!(first.workload, "SharePoint");
    assert_eq!(first.operation, "FileAccessed");
    let raw: serde_json::Value = serde_json::from_str(&first.raw_json).expect("raw JSON");
    assert_eq!(raw["Id"], first.record_id.as_str());

    // Operation, user and time range narrow the search.
    let user = first.user.to_uppercase();
    let at = first.occurred_at.expect("occurred_at");
    let narrowed = api
        .search_audit_events(pb::SearchAuditEventsRequest {
            tenant_id: tid.clone(),
            operation: "fileaccessed".into(),
            user,
            occurred: Some(pb::TimeRange {
                start_at: Some(at),
                end_at: Some(prost_types::Timestamp {
                    seconds: at.seconds + 1,
                    nanos: 0,
                }),
            }),
            ..Default::default()
        })
        .await
        .expect("search")
        .into_inner();
    assert!(narrowed.events.iter().any(|e| e.record_id == first.record_id));
    assert!(
        narrowed
            .events
            .iter()
            .all(|e| e.user.eq_ignore_ascii_case(&first.user) && e.operation == "FileAccessed")
    );

    // Bad requests get the code that says what to fix.
    let refused = |request: pb::SearchAuditEventsRequest| {
        let mut api = api.clone();
        async move {
            api.search_audit_events(request)
                .await
                .expect_err("refused")
                .code()
        }
    };
    let base = || pb::SearchAuditEventsRequest {
        tenant_id: tid.clone(),
        ..Default::default()
    };
    assert_eq!(
        refused(pb::SearchAuditEventsRequest {
            occurred: Some(pb::TimeRange {
                start_at: Some(at),
                end_at: Some(at),
            }),
            ..base()
        })
        .await,
        Code::InvalidArgument
    );
    assert_eq!(
        refused(pb::SearchAuditEventsRequest {
            page_size: -1,
            ..base()
        })
        .await,
        Code::InvalidArgument
    );
    assert_eq!(
        refused(pb::SearchAuditEventsRequest {
            page_token: "not-a-token".into(),
            ..base()
        })
        .await,
        Code::InvalidArgument
    );
    assert_eq!(
        refused(pb::SearchAuditEventsRequest {
            tenant_id: "not-a-tenant".into(),
            ..Default::default()
        })
        .await,
        Code::InvalidArgument
    );
    assert_eq!(
        refused(pb::SearchAuditEventsRequest {
            tenant_id: "00000000-0000-4000-8000-000000000abc".into(),
            ..Default::default()
        })
        .await,
        Code::NotFound
    );
    process.stop().await;
}

#[tokio::test]
async fn a_stream_without_its_permission_names_it_with_the_fix_and_the_others_are_read() {
    let world = new_world(TestDatabase::sqlite().expect("sqlite")).await;
    // Everything the inventory needs, but not ActivityFeed.Read.
    let tenant = world
        .tenant(TenantSpec {
            users: 60,
            permissions: Some(crate::failures::all_permissions()),
            ..TenantSpec::default()
        })
        .await;
    let process = world.start_sync(settings()).await;
    let run = sync_and_wait(&process, &tenant, &["domains"]).await;
    assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
    ingest_at(&process, world.sim.now())
        .read_tenant(tenant_id(&tenant))
        .await
        .expect("streams read");

    let streams = AuditServiceClient::new(process.channel.clone())
        .list_audit_streams(pb::ListAuditStreamsRequest {
            tenant_id: tenant.tenant_id.to_string(),
        })
        .await
        .expect("streams")
        .into_inner()
        .streams;
    let sources: Vec<&str> = streams.iter().map(|s| s.source.as_str()).collect();
    assert_eq!(sources, posture_sync::audit::streams().collect::<Vec<_>>());
    for stream in &streams {
        if CONTENT_TYPES.contains(&stream.source.as_str()) {
            assert!(
                stream.last_error.contains("ActivityFeed.Read")
                    && stream.last_error.contains("admin consent"),
                "{stream:?}"
            );
            assert_eq!(stream.complete_until, None, "{stream:?}");
            assert!(stream.last_read_at.is_some());
        } else {
            assert_eq!(stream.last_error, "", "{stream:?}");
            assert!(stream.complete_until.is_some(), "{stream:?}");
        }
    }
    assert_logs_match(&world, &process, &tenant).await;
    process.stop().await;
}
