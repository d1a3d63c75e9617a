//! Forwarding over real sockets: calls reach the owning role with the principal, trace context
//! and deadline (never the API key), server streams are relayed, and a backend that is down or
//! not deployed answers UNAVAILABLE. Internal services and their descriptors are not reachable
//! through the gateway.

mod support;

use futures::StreamExt;
use posture_gateway::{AccessRole, TenantScope, Upstreams};
use posture_kit::ServiceRole;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::internal::v1 as internal;
use posture_proto::v1;
use posture_proto::v1::evidence_service_client::EvidenceServiceClient;
use posture_proto::v1::schedule_service_client::ScheduleServiceClient;
use posture_proto::v1::sync_service_client::SyncServiceClient;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use support::{Backend, TENANT_A, TestGateway, closed_address, grpc_config, serve_backend, with_key};
use tonic::Code;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

async fn gateway_in_front_of(backend: &Backend) -> (TestGateway, support::Served) {
    let served = serve_backend(backend).await;
    let db = TestDatabase::sqlite().expect("sqlite");
    let gateway = TestGateway::start(db, support::all_roles_at(&served.address)).await;
    (gateway, served)
}

#[tokio::test]
async fn calls_reach_the_backend_with_principal_trace_and_deadline_but_not_the_key() {
    let backend = Backend::default();
    let (gateway, _served) = gateway_in_front_of(&backend).await;
    let mut client = TenantConnectionServiceClient::new(gateway.channel().await);

    let mut request = with_key(
        &gateway.admin_key,
        v1::CreateConnectionRequest {
            tenant_id: TENANT_A.into(),
            client_id: "66666666-7777-4888-9999-000000000000".into(),
            display_name: "Contoso".into(),
            ..Default::default()
        },
    );
    request
        .metadata_mut()
        .insert("traceparent", TRACEPARENT.parse().expect("ascii"));
    request.set_timeout(std::time::Duration::from_secs(7));
    let created = client
        .create_connection(request)
        .await
        .expect("created")
        .into_inner();
    assert_eq!(created.connection.map(|c| c.tenant_id).as_deref(), Some(TENANT_A));

    let seen = backend.last_call().expect("backend was called");
    assert_eq!(seen.principal.as_deref(), Some("admin"));
    assert!(
        seen.api_key_id
            .is_some_and(|id| uuid::Uuid::parse_str(&id).is_ok())
    );
    assert_eq!(seen.traceparent.as_deref(), Some(TRACEPARENT));
    assert!(seen.grpc_timeout.is_some(), "the caller's deadline travels on");
    assert_eq!(seen.authorization, None, "the API key stays at the gateway");

    let fetched = client
        .get_connection(with_key(
            &gateway.admin_key,
            v1::GetConnectionRequest {
                tenant_id: TENANT_A.into(),
            },
        ))
        .await
        .expect("fetched")
        .into_inner();
    assert_eq!(
        fetched.connection.map(|c| c.display_name).as_deref(),
        Some("Contoso")
    );

    // A backend's own refusal reaches the caller unchanged.
    let again = client
        .create_connection(with_key(
            &gateway.admin_key,
            v1::CreateConnectionRequest {
                tenant_id: TENANT_A.into(),
                client_id: "66666666-7777-4888-9999-000000000000".into(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("exists");
    assert_eq!(again.code(), Code::AlreadyExists);
}

#[tokio::test]
async fn watch_sync_run_is_relayed_as_a_stream() {
    let backend = Backend::default();
    let (gateway, _served) = gateway_in_front_of(&backend).await;
    let viewer = gateway
        .key("viewer", AccessRole::Viewer, TenantScope::AllTenants)
        .await;
    let mut client = SyncServiceClient::new(gateway.channel().await);
    let watch = v1::WatchSyncRunRequest {
        tenant_id: TENANT_A.into(),
        run_id: "1d8e7a52-5b4c-4f0e-9d3c-2a1b0c9d8e7f".into(),
    };
    let stream = client
        .watch_sync_run(with_key(&viewer, watch))
        .await
        .expect("stream opened")
        .into_inner();
    let states: Vec<i32> = stream
        .map(|update| update.expect("update").run_state)
        .collect()
        .await;
    assert_eq!(
        states,
        [
            v1::SyncRunState::Pending as i32,
            v1::SyncRunState::Running as i32,
            v1::SyncRunState::Succeeded as i32
        ]
    );
}

#[tokio::test]
async fn a_backend_that_is_down_answers_unavailable() {
    let db = TestDatabase::sqlite().expect("sqlite");
    let upstreams = Upstreams::none()
        .with_address(ServiceRole::Credentials, &closed_address().await, &grpc_config())
        .expect("address");
    let gateway = TestGateway::start(db, upstreams).await;
    let mut client = TenantConnectionServiceClient::new(gateway.channel().await);
    let status = client
        .get_connection(with_key(
            &gateway.admin_key,
            v1::GetConnectionRequest {
                tenant_id: TENANT_A.into(),
            },
        ))
        .await
        .expect_err("down");
    assert_eq!(status.code(), Code::Unavailable);
    assert!(
        status.message().contains("credentials role"),
        "{}",
        status.message()
    );
    assert!(
        !status.message().contains("127.0.0.1"),
        "no internals: {}",
        status.message()
    );
}

#[tokio::test]
async fn roles_that_are_not_deployed_answer_that_they_are_not_running() {
    // Not configured at all.
    let db = TestDatabase::sqlite().expect("sqlite");
    let gateway = TestGateway::start(db, Upstreams::none()).await;
    let mut schedules = ScheduleServiceClient::new(gateway.channel().await);
    let status = schedules
        .get_schedule(with_key(
            &gateway.admin_key,
            v1::GetScheduleRequest {
                tenant_id: TENANT_A.into(),
            },
        ))
        .await
        .expect_err("no scheduler");
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(status.message(), "the scheduler role is not running");

    // Configured, but the server at that address does not mount the role (standalone before the
    // role exists).
    let backend = Backend::default();
    let (gateway, _served) = gateway_in_front_of(&backend).await;
    let mut schedules = ScheduleServiceClient::new(gateway.channel().await);
    let status = schedules
        .get_schedule(with_key(
            &gateway.admin_key,
            v1::GetScheduleRequest {
                tenant_id: TENANT_A.into(),
            },
        ))
        .await
        .expect_err("scheduler not mounted");
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(status.message(), "the scheduler role is not running");
}

#[tokio::test]
async fn internal_services_are_not_served_by_the_gateway() {
    let backend = Backend::default();
    let (gateway, _served) = gateway_in_front_of(&backend).await;
    let channel = gateway.channel().await;

    let mut vault = internal::vault_service_client::VaultServiceClient::new(channel.clone());
    let status = vault
        .get_connection_secret(with_key(
            &gateway.admin_key,
            internal::GetConnectionSecretRequest::default(),
        ))
        .await
        .expect_err("vault");
    assert_eq!(status.code(), Code::Unimplemented);
    let mut broker = internal::token_broker_service_client::TokenBrokerServiceClient::new(channel);
    let status = broker
        .get_token(with_key(&gateway.admin_key, internal::GetTokenRequest::default()))
        .await
        .expect_err("token broker");
    assert_eq!(status.code(), Code::Unimplemented);
    assert_eq!(backend.calls(), 0);
}

#[tokio::test]
async fn reflection_lists_the_public_services_and_nothing_internal() {
    let db = TestDatabase::sqlite().expect("sqlite");
    let gateway = TestGateway::start(db, Upstreams::none()).await;
    let mut reflection = ServerReflectionClient::new(gateway.channel().await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = reflection
        .server_reflection_info(futures::stream::iter([request]))
        .await
        .expect("reflection")
        .into_inner();
    let response = responses.next().await.expect("one answer").expect("ok");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection answer: {response:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for public in posture_proto::PUBLIC_SERVICE_NAMES {
        assert!(
            names.iter().any(|name| name == public),
            "{public} missing from {names:?}"
        );
    }
    for name in &names {
        assert!(
            !name.starts_with("posture.internal"),
            "internal service listed: {name}"
        );
        assert!(
            posture_proto::PUBLIC_SERVICE_NAMES.contains(&name.as_str())
                || name.starts_with("grpc.health.")
                || name.starts_with("grpc.reflection."),
            "unexpected service listed: {name}"
        );
    }

    // The descriptors of internal services cannot be fetched either.
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::FileContainingSymbol(
            "posture.internal.v1.VaultService".into(),
        )),
    };
    let mut responses = reflection
        .server_reflection_info(futures::stream::iter([request]))
        .await
        .expect("reflection")
        .into_inner();
    match responses.next().await.expect("one answer") {
        Err(status) => assert_eq!(status.code(), Code::NotFound, "{status:?}"),
        Ok(response) => assert!(
            matches!(response.message_response, Some(MessageResponse::ErrorResponse(_))),
            "{response:?}"
        ),
    }
}

#[tokio::test]
async fn a_service_no_role_serves_yet_answers_unimplemented_with_what_is_missing() {
    // The assessment role runs (its AssessmentService answers) but serves no EvidenceService.
    let backend = Backend::default();
    let (gateway, _served) = gateway_in_front_of(&backend).await;
    let mut evidence = EvidenceServiceClient::new(gateway.channel().await);
    let status = evidence
        .get_evidence_manifest(with_key(
            &gateway.admin_key,
            v1::GetEvidenceManifestRequest {
                tenant_id: TENANT_A.into(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("evidence is not built");
    assert_eq!(status.code(), Code::Unimplemented, "{status:?}");
    assert_eq!(
        status.message(),
        "posture.v1.EvidenceService is not available: evidence bundles are not assembled yet"
    );
}
