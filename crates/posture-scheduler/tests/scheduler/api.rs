//! ScheduleService over real gRPC on loopback: reads, field-mask updates, paging and refusals.

use chrono::Duration as Span;
use posture_kit::clock::ManualClock;
use posture_kit::config::GrpcConfig;
use posture_kit::db::test_support::TestDatabase;
use posture_kit::grpc::{GrpcServer, lazy_channel, set_principal};
use posture_kit::ids::TenantId;
use posture_proto::v1::schedule_service_client::ScheduleServiceClient;
use posture_proto::v1::{
    DailyCadence, GetScheduleRequest, IntervalCadence, ListSchedulesRequest, Schedule, UpdateScheduleRequest,
    schedule,
};
use posture_scheduler::cadence::spread_offset;
use tonic::Code;
use tonic::transport::Channel;

use crate::support::*;

struct Served {
    client: ScheduleServiceClient<Channel>,
    running: RunningRole,
    clock: ManualClock,
    _db: TestDatabase,
}

async fn serve(db: TestDatabase) -> Served {
    let clock = ManualClock::new(at(1, 0));
    let running = RunningRole::start(&db, memory_bus(), &clock, in_process_lease(&clock), "api").await;
    let grpc = GrpcConfig::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let server = running.role.register(GrpcServer::new(&grpc));
    tokio::spawn(server.serve(listener, running.shutdown.clone()));
    let client = ScheduleServiceClient::new(lazy_channel(&address, &grpc).expect("channel"));
    Served {
        client,
        running,
        clock,
        _db: db,
    }
}

fn update(schedule: Schedule, paths: &[&str]) -> tonic::Request<UpdateScheduleRequest> {
    let mut request = tonic::Request::new(UpdateScheduleRequest {
        schedule: Some(schedule),
        update_mask: Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
    });
    set_principal(request.metadata_mut(), "ops@example.com");
    request
}

fn seconds(at: &Option<prost_types::Timestamp>) -> i64 {
    at.as_ref().map(|t| t.seconds).unwrap_or_default()
}

posture_kit::db_test!(update_schedule_field_mask, |db: TestDatabase| async move {
    let mut served = serve(db).await;
    served
        .running
        .role
        .scheduler()
        .ensure_schedule(&tenant())
        .await
        .expect("create");

    let before = served
        .client
        .get_schedule(GetScheduleRequest {
            tenant_id: TENANT.to_uppercase(),
        })
        .await
        .expect("get")
        .into_inner()
        .schedule
        .expect("schedule");
    assert_eq!(before.tenant_id, TENANT);
    assert!(before.enabled);
    assert_eq!(
        before.cadence,
        Some(schedule::Cadence::Daily(DailyCadence {
            hour_utc: 3,
            minute_utc: 0
        }))
    );
    assert_eq!(before.window.as_ref().map(|w| w.seconds), Some(7200));
    assert_eq!(
        seconds(&before.next_run_at),
        (at(3, 0) + spread_offset(&tenant(), Span::hours(2))).timestamp()
    );
    assert!(before.updated_by.is_empty() && before.updated_at.is_none());

    // Only the masked field changes: `enabled` is false in the message but not in the mask.
    let change = Schedule {
        tenant_id: TENANT.to_owned(),
        enabled: false,
        cadence: Some(schedule::Cadence::Daily(DailyCadence {
            hour_utc: 22,
            minute_utc: 15,
        })),
        window: Some(prost_types::Duration { seconds: 0, nanos: 0 }),
        entity_kinds: vec!["users".to_owned(), "conditional_access_policies".to_owned()],
        ..Default::default()
    };
    let after = served
        .client
        .update_schedule(update(change.clone(), &["daily", "entity_kinds"]))
        .await
        .expect("update")
        .into_inner()
        .schedule
        .expect("schedule");
    assert!(after.enabled, "`enabled` was not in the mask");
    assert_eq!(
        after.window.as_ref().map(|w| w.seconds),
        Some(7200),
        "`window` was not in the mask"
    );
    assert_eq!(
        after.cadence,
        Some(schedule::Cadence::Daily(DailyCadence {
            hour_utc: 22,
            minute_utc: 15
        }))
    );
    assert_eq!(after.entity_kinds, vec!["conditional_access_policies", "users"]);
    assert_eq!(after.updated_by, "ops@example.com");
    assert_eq!(seconds(&after.updated_at), at(1, 0).timestamp());
    assert_eq!(
        seconds(&after.next_run_at),
        (at(22, 15) + spread_offset(&tenant(), Span::hours(2))).timestamp()
    );

    // The window, then an interval cadence that replaces the daily one.
    let windowless = served
        .client
        .update_schedule(update(change, &["window", "enabled"]))
        .await
        .expect("update")
        .into_inner()
        .schedule
        .expect("schedule");
    assert!(!windowless.enabled);
    assert_eq!(
        seconds(&windowless.next_run_at),
        at(22, 15).timestamp(),
        "no spread in an empty window"
    );
    let every_six_hours = Schedule {
        tenant_id: TENANT.to_owned(),
        cadence: Some(schedule::Cadence::Interval(IntervalCadence {
            every: Some(prost_types::Duration {
                seconds: 6 * 3600,
                nanos: 0,
            }),
        })),
        ..Default::default()
    };
    let interval = served
        .client
        .update_schedule(update(every_six_hours, &["interval"]))
        .await
        .expect("update")
        .into_inner()
        .schedule
        .expect("schedule");
    assert!(matches!(interval.cadence, Some(schedule::Cadence::Interval(_))));
    assert_eq!(seconds(&interval.next_run_at), at(6, 0).timestamp());

    let stored = served
        .client
        .get_schedule(GetScheduleRequest {
            tenant_id: TENANT.to_owned(),
        })
        .await
        .expect("get");
    assert_eq!(stored.into_inner().schedule, Some(interval));
    served.running.stop().await;
});

posture_kit::db_test!(
    invalid_requests_are_invalid_argument_and_unknown_tenants_not_found,
    |db: TestDatabase| async move {
        let mut served = serve(db).await;
        served
            .running
            .role
            .scheduler()
            .ensure_schedule(&tenant())
            .await
            .expect("create");

        for tenant_id in [
            "",
            "contoso.onmicrosoft.com",
            "00000000-0000-0000-0000-000000000000",
        ] {
            let status = served
                .client
                .get_schedule(GetScheduleRequest {
                    tenant_id: tenant_id.to_owned(),
                })
                .await
                .expect_err("refused");
            assert_eq!(status.code(), Code::InvalidArgument, "{tenant_id}: {status:?}");
            assert!(status.message().contains("tenant_id"), "{}", status.message());
        }
        let status = served
            .client
            .get_schedule(GetScheduleRequest {
                tenant_id: OTHER_TENANT.to_owned(),
            })
            .await
            .expect_err("unknown");
        assert_eq!(status.code(), Code::NotFound);

        let daily = |h, m| Schedule {
            tenant_id: TENANT.to_owned(),
            cadence: Some(schedule::Cadence::Daily(DailyCadence {
                hour_utc: h,
                minute_utc: m,
            })),
            ..Default::default()
        };
        let refused: Vec<(tonic::Request<UpdateScheduleRequest>, &str)> = vec![
            (update(daily(3, 0), &[]), "update_mask"),
            (update(daily(3, 0), &["next_run_at"]), "update_mask"),
            (update(daily(3, 0), &["daily", "interval"]), "update_mask"),
            (update(daily(24, 0), &["daily"]), "hour_utc"),
            (update(daily(3, 75), &["daily"]), "minute_utc"),
            (update(daily(3, 0), &["interval"]), "interval"),
            (update(daily(3, 0), &["window"]), "window"),
            (
                update(
                    Schedule {
                        tenant_id: TENANT.to_owned(),
                        window: Some(prost_types::Duration {
                            seconds: 13 * 3600,
                            nanos: 0,
                        }),
                        ..Default::default()
                    },
                    &["window"],
                ),
                "window",
            ),
            (
                update(
                    Schedule {
                        tenant_id: TENANT.to_owned(),
                        entity_kinds: vec!["Users; DROP".to_owned()],
                        ..Default::default()
                    },
                    &["entity_kinds"],
                ),
                "entity_kinds",
            ),
            (update(Schedule::default(), &["enabled"]), "tenant_id"),
            (tonic::Request::new(UpdateScheduleRequest::default()), "schedule"),
        ];
        for (request, field) in refused {
            let status = served.client.update_schedule(request).await.expect_err("refused");
            assert_eq!(status.code(), Code::InvalidArgument, "{field}: {status:?}");
            assert!(status.message().contains(field), "{field}: {}", status.message());
        }
        let mut unknown = daily(4, 0);
        unknown.tenant_id = OTHER_TENANT.to_owned();
        let status = served
            .client
            .update_schedule(update(unknown, &["daily"]))
            .await
            .expect_err("unknown");
        assert_eq!(status.code(), Code::NotFound);

        for (page_size, page_token) in [(-1, ""), (10, "not-a-token")] {
            let status = served
                .client
                .list_schedules(ListSchedulesRequest {
                    page_size,
                    page_token: page_token.to_owned(),
                    enabled_only: false,
                })
                .await
                .expect_err("refused");
            assert_eq!(status.code(), Code::InvalidArgument);
        }
        served.running.stop().await;
    }
);

posture_kit::db_test!(
    list_schedules_pages_in_next_run_order,
    |db: TestDatabase| async move {
        let mut served = serve(db).await;
        let scheduler = served.running.role.scheduler().clone();
        let tenants: Vec<TenantId> = (0..7u32)
            .map(|n| {
                TenantId::from_uuid(uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, &n.to_be_bytes()))
                    .expect("a v5 GUID is not nil")
            })
            .collect();
        for tenant in &tenants {
            scheduler.ensure_schedule(tenant).await.expect("create");
        }
        // Pause one so the enabled-only filter has something to leave out.
        let pause = posture_scheduler::api::ScheduleChange {
            enabled: Some(false),
            ..Default::default()
        };
        served
            .running
            .role
            .api()
            .update(&tenants[0], pause, "ops")
            .await
            .expect("pause");
        served.clock.advance(Span::minutes(1));

        for enabled_only in [false, true] {
            let mut seen = Vec::new();
            let mut page_token = String::new();
            loop {
                let page = served
                    .client
                    .list_schedules(ListSchedulesRequest {
                        page_size: 3,
                        page_token,
                        enabled_only,
                    })
                    .await
                    .expect("list")
                    .into_inner();
                assert!(page.schedules.len() <= 3);
                seen.extend(page.schedules);
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            let expected = if enabled_only { 6 } else { 7 };
            assert_eq!(seen.len(), expected, "enabled_only {enabled_only}");
            let order: Vec<(i64, String)> = seen
                .iter()
                .map(|s| (seconds(&s.next_run_at), s.tenant_id.clone()))
                .collect();
            let mut sorted = order.clone();
            sorted.sort();
            assert_eq!(order, sorted, "ordered by next run, then tenant");
            assert!(!enabled_only || seen.iter().all(|s| s.enabled));
        }
        served.running.stop().await;
    }
);
