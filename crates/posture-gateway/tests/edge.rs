//! Bad input at the edge: malformed ids are INVALID_ARGUMENT before anything is forwarded,
//! oversized messages are RESOURCE_EXHAUSTED, and the gateway keeps serving afterwards. Health
//! checking answers for the public services.

mod support;

use posture_gateway::Upstreams;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1;
use posture_proto::v1::inventory_service_client::InventoryServiceClient;
use posture_proto::v1::sync_service_client::SyncServiceClient;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use support::{Backend, TENANT_A, TestGateway, grpc_config, serve_backend, with_key};
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

#[tokio::test]
async fn malformed_ids_are_invalid_arguments_and_never_forwarded() {
    let backend = Backend::default();
    let served = serve_backend(&backend).await;
    let db = TestDatabase::sqlite().expect("sqlite");
    let gateway = TestGateway::start(db, support::all_roles_at(&served.address)).await;
    let channel = gateway.channel().await;
    let key = gateway.admin_key.clone();

    let mut connections = TenantConnectionServiceClient::new(channel.clone());
    for tenant_id in [
        "",
        "contoso.onmicrosoft.com",
        "00000000-0000-0000-0000-000000000000",
        "' OR 1=1 --",
    ] {
        let status = connections
            .get_connection(with_key(
                &key,
                v1::GetConnectionRequest {
                    tenant_id: tenant_id.into(),
                },
            ))
            .await
            .expect_err(tenant_id);
        assert_eq!(status.code(), Code::InvalidArgument, "{tenant_id}");
        assert!(status.message().contains("tenant_id"), "{}", status.message());
    }

    let mut sync = SyncServiceClient::new(channel.clone());
    let status = sync
        .get_sync_run(with_key(
            &key,
            v1::GetSyncRunRequest {
                tenant_id: TENANT_A.into(),
                run_id: "latest".into(),
            },
        ))
        .await
        .expect_err("bad run id");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("run_id"), "{}", status.message());
    let status = sync
        .list_sync_runs(with_key(
            &key,
            v1::ListSyncRunsRequest {
                page_size: -5,
                ..Default::default()
            },
        ))
        .await
        .expect_err("negative page size");
    assert_eq!(status.code(), Code::InvalidArgument);

    let mut inventory = InventoryServiceClient::new(channel);
    let status = inventory
        .list_objects(with_key(
            &key,
            v1::ListObjectsRequest {
                tenant_id: TENANT_A.into(),
                entity_kind: "Users; DROP TABLE".into(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("bad entity kind");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("entity_kind"), "{}", status.message());

    assert_eq!(backend.calls(), 0, "nothing malformed reached a backend");
}

/// Same field number as `GetConnectionRequest.tenant_id`, but a number where a string belongs.
#[derive(Clone, PartialEq, prost::Message)]
struct NotAGetConnectionRequest {
    #[prost(uint64, tag = "1")]
    tenant_id: u64,
}

#[tokio::test]
async fn a_body_that_is_not_the_rpcs_message_is_an_invalid_argument() {
    let backend = Backend::default();
    let served = serve_backend(&backend).await;
    let db = TestDatabase::sqlite().expect("sqlite");
    let gateway = TestGateway::start(db, support::all_roles_at(&served.address)).await;
    let mut grpc = tonic::client::Grpc::new(gateway.channel().await);
    grpc.ready().await.expect("ready");
    let path = http::uri::PathAndQuery::from_static("/posture.v1.TenantConnectionService/GetConnection");
    let codec: tonic_prost::ProstCodec<NotAGetConnectionRequest, v1::GetConnectionResponse> =
        tonic_prost::ProstCodec::default();
    let request = with_key(&gateway.admin_key, NotAGetConnectionRequest { tenant_id: 42 });
    let status = grpc
        .unary(request, path, codec)
        .await
        .expect_err("malformed body");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(backend.calls(), 0);
}

#[tokio::test]
async fn oversized_requests_are_resource_exhausted_and_the_gateway_keeps_serving() {
    let backend = Backend::default();
    backend.add_connection(TENANT_A, "Contoso");
    let served = serve_backend(&backend).await;
    let db = TestDatabase::sqlite().expect("sqlite");
    let small = posture_kit::config::GrpcConfig {
        max_message_bytes: 64 * 1024,
        ..grpc_config()
    };
    let gateway = TestGateway::start_with(db, support::all_roles_at(&served.address), small).await;
    let mut connections = TenantConnectionServiceClient::new(gateway.channel().await);

    let huge = v1::DeleteConnectionRequest {
        tenant_id: TENANT_A.into(),
        confirm_tenant_id: TENANT_A.into(),
        reason: "x".repeat(200 * 1024),
        ..Default::default()
    };
    let status = connections
        .delete_connection(with_key(&gateway.admin_key, huge))
        .await
        .expect_err("too big");
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert!(status.message().contains("65536"), "{}", status.message());

    // Under the transport limit but over the field's own bound.
    let long_reason = v1::DeleteConnectionRequest {
        tenant_id: TENANT_A.into(),
        confirm_tenant_id: TENANT_A.into(),
        reason: "x".repeat(10_000),
        ..Default::default()
    };
    let status = connections
        .delete_connection(with_key(&gateway.admin_key, long_reason))
        .await
        .expect_err("reason too long");
    assert_eq!(status.code(), Code::InvalidArgument);

    connections
        .get_connection(with_key(
            &gateway.admin_key,
            v1::GetConnectionRequest {
                tenant_id: TENANT_A.into(),
            },
        ))
        .await
        .expect("still serving");
}

#[tokio::test]
async fn health_checking_reports_the_public_services_serving() {
    let db = TestDatabase::sqlite().expect("sqlite");
    let gateway = TestGateway::start(db, Upstreams::none()).await;
    let mut health = HealthClient::new(gateway.channel().await);
    for service in posture_proto::PUBLIC_SERVICE_NAMES {
        let response = health
            .check(HealthCheckRequest {
                service: service.to_string(),
            })
            .await
            .expect("health answers without a key")
            .into_inner();
        assert_eq!(response.status, ServingStatus::Serving as i32, "{service}");
    }
    let status = health
        .check(HealthCheckRequest {
            service: "posture.internal.v1.VaultService".into(),
        })
        .await
        .expect_err("internal service unknown here");
    assert_eq!(status.code(), Code::NotFound);
}
