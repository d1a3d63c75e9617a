//! Who may call what, over real gRPC: missing, unknown, revoked and expired keys are
//! UNAUTHENTICATED; a role below the rpc's is PERMISSION_DENIED; a key scoped to one tenant
//! cannot touch another, and lists show only its tenants.

mod support;

use posture_gateway::{AccessRole, TenantScope};
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1;
use posture_proto::v1::api_key_service_client::ApiKeyServiceClient;
use posture_proto::v1::drift_service_client::DriftServiceClient;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use support::{Backend, TENANT_A, TENANT_B, TestGateway, only, serve_backend, with_key};
use tonic::Code;

async fn gateway_with_two_tenants() -> (TestGateway, Backend, support::Served) {
    let backend = Backend::default();
    backend.add_connection(TENANT_A, "Contoso");
    backend.add_connection(TENANT_B, "Fabrikam");
    let served = serve_backend(&backend).await;
    let db = TestDatabase::sqlite().expect("sqlite");
    let gateway = TestGateway::start(db, support::all_roles_at(&served.address)).await;
    (gateway, backend, served)
}

fn get(tenant: &str) -> v1::GetConnectionRequest {
    v1::GetConnectionRequest {
        tenant_id: tenant.into(),
    }
}

#[tokio::test]
async fn calls_without_a_valid_key_are_unauthenticated() {
    let (gateway, backend, _served) = gateway_with_two_tenants().await;
    let mut client = TenantConnectionServiceClient::new(gateway.channel().await);

    let status = client.get_connection(get(TENANT_A)).await.expect_err("no key");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(status.message().contains("Bearer"), "{}", status.message());

    let forged = format!("pst_{}_{}", uuid::Uuid::new_v4().simple(), "A".repeat(43));
    for bad in ["not-a-key", "pst_", forged.as_str()] {
        let status = client
            .get_connection(with_key(bad, get(TENANT_A)))
            .await
            .expect_err(bad);
        assert_eq!(status.code(), Code::Unauthenticated, "{bad}");
    }

    let mut basic = tonic::Request::new(get(TENANT_A));
    basic
        .metadata_mut()
        .insert("authorization", "Basic dXNlcjpwYXNz".parse().expect("ascii"));
    let status = client.get_connection(basic).await.expect_err("basic auth");
    assert_eq!(status.code(), Code::Unauthenticated);

    // A real key with one character of its secret changed.
    let mut tampered = gateway.admin_key.clone();
    let last = if tampered.ends_with('x') { 'y' } else { 'x' };
    tampered.pop();
    tampered.push(last);
    let status = client
        .get_connection(with_key(&tampered, get(TENANT_A)))
        .await
        .expect_err("tampered");
    assert_eq!(status.code(), Code::Unauthenticated);

    assert_eq!(backend.calls(), 0, "nothing unauthenticated reached a backend");
}

#[tokio::test]
async fn revoked_and_expired_keys_are_unauthenticated() {
    let (gateway, _backend, _served) = gateway_with_two_tenants().await;
    let channel = gateway.channel().await;
    let mut connections = TenantConnectionServiceClient::new(channel.clone());
    let mut keys = ApiKeyServiceClient::new(channel);

    let viewer = gateway
        .key("soon revoked", AccessRole::Viewer, TenantScope::AllTenants)
        .await;
    connections
        .get_connection(with_key(&viewer, get(TENANT_A)))
        .await
        .expect("valid key works");
    let listed = keys
        .list_api_keys(with_key(&gateway.admin_key, v1::ListApiKeysRequest::default()))
        .await
        .expect("list")
        .into_inner();
    let id = listed
        .api_keys
        .iter()
        .find(|key| key.display_name == "soon revoked")
        .map(|key| key.api_key_id.clone())
        .expect("key listed");
    keys.revoke_api_key(with_key(
        &gateway.admin_key,
        v1::RevokeApiKeyRequest { api_key_id: id },
    ))
    .await
    .expect("revoke");
    let status = connections
        .get_connection(with_key(&viewer, get(TENANT_A)))
        .await
        .expect_err("revoked");
    assert_eq!(status.code(), Code::Unauthenticated);

    let past = chrono::Utc::now() - chrono::Duration::hours(1);
    let expired = gateway
        .key_expiring("expired", AccessRole::Viewer, TenantScope::AllTenants, Some(past))
        .await;
    let status = connections
        .get_connection(with_key(&expired, get(TENANT_A)))
        .await
        .expect_err("expired");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(status.message().contains("expired"), "{}", status.message());
}

#[tokio::test]
async fn a_viewer_cannot_create_and_an_operator_cannot_manage_keys() {
    let (gateway, backend, _served) = gateway_with_two_tenants().await;
    let channel = gateway.channel().await;
    let viewer = gateway
        .key("viewer", AccessRole::Viewer, TenantScope::AllTenants)
        .await;
    let operator = gateway
        .key("operator", AccessRole::Operator, TenantScope::AllTenants)
        .await;

    let create = v1::CreateConnectionRequest {
        tenant_id: "11111111-2222-4333-8444-555555555555".into(),
        client_id: "66666666-7777-4888-9999-000000000000".into(),
        display_name: "Northwind".into(),
        ..Default::default()
    };
    let mut connections = TenantConnectionServiceClient::new(channel.clone());
    for key in [&viewer, &operator] {
        let status = connections
            .create_connection(with_key(key, create.clone()))
            .await
            .expect_err("admin only");
        assert_eq!(status.code(), Code::PermissionDenied);
        assert!(status.message().contains("admin"), "{}", status.message());
    }
    let status = connections
        .test_connection(with_key(
            &viewer,
            v1::TestConnectionRequest {
                tenant_id: TENANT_A.into(),
            },
        ))
        .await
        .expect_err("operator needed");
    assert_eq!(status.code(), Code::PermissionDenied);
    connections
        .test_connection(with_key(
            &operator,
            v1::TestConnectionRequest {
                tenant_id: TENANT_A.into(),
            },
        ))
        .await
        .expect("operator may test");

    let mut keys = ApiKeyServiceClient::new(channel);
    let status = keys
        .list_api_keys(with_key(&operator, v1::ListApiKeysRequest::default()))
        .await
        .expect_err("admin only");
    assert_eq!(status.code(), Code::PermissionDenied);

    connections
        .create_connection(with_key(&gateway.admin_key, create))
        .await
        .expect("admin may create");
    assert_eq!(
        backend.last_call().and_then(|call| call.principal).as_deref(),
        Some("admin")
    );
}

#[tokio::test]
async fn a_key_scoped_to_one_tenant_cannot_touch_another() {
    let (gateway, backend, _served) = gateway_with_two_tenants().await;
    let channel = gateway.channel().await;
    let key_a = gateway
        .key("tenant a operator", AccessRole::Operator, only(TENANT_A))
        .await;
    let mut connections = TenantConnectionServiceClient::new(channel.clone());

    let found = connections
        .get_connection(with_key(&key_a, get(TENANT_A)))
        .await
        .expect("own tenant")
        .into_inner();
    assert_eq!(
        found.connection.map(|c| c.display_name).as_deref(),
        Some("Contoso")
    );

    let calls_before = backend.calls();
    let status = connections
        .get_connection(with_key(&key_a, get(TENANT_B)))
        .await
        .expect_err("other tenant");
    assert_eq!(status.code(), Code::PermissionDenied);
    let status = connections
        .test_connection(with_key(
            &key_a,
            v1::TestConnectionRequest {
                tenant_id: TENANT_B.into(),
            },
        ))
        .await
        .expect_err("other tenant");
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(backend.calls(), calls_before, "refused calls were not forwarded");

    // Upper-case spelling of the other tenant is still the other tenant.
    let status = connections
        .get_connection(with_key(&key_a, get(&TENANT_B.to_uppercase())))
        .await
        .expect_err("other tenant");
    assert_eq!(status.code(), Code::PermissionDenied);

    let listed = connections
        .list_connections(with_key(&key_a, v1::ListConnectionsRequest::default()))
        .await
        .expect("list")
        .into_inner();
    let tenants: Vec<_> = listed.connections.iter().map(|c| c.tenant_id.as_str()).collect();
    assert_eq!(tenants, [TENANT_A]);

    let everything = connections
        .list_connections(with_key(
            &gateway.admin_key,
            v1::ListConnectionsRequest::default(),
        ))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(everything.connections.len(), 2);
}

#[tokio::test]
async fn baselines_are_scoped_by_their_source_and_target_tenants() {
    let (gateway, backend, _served) = gateway_with_two_tenants().await;
    let baseline_of_b = "0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f";
    let baseline_of_a = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
    backend.add_baseline(baseline_of_b, TENANT_B);
    backend.add_baseline(baseline_of_a, TENANT_A);
    let key_a = gateway
        .key("tenant a operator", AccessRole::Operator, only(TENANT_A))
        .await;
    let mut drift = DriftServiceClient::new(gateway.channel().await);

    let status = drift
        .get_baseline(with_key(
            &key_a,
            v1::GetBaselineRequest {
                baseline_id: baseline_of_b.into(),
            },
        ))
        .await
        .expect_err("baseline of another tenant");
    assert_eq!(status.code(), Code::NotFound);

    let apply = |baseline: &str, targets: &[&str]| v1::ApplyBaselineRequest {
        baseline_id: baseline.into(),
        tenant_ids: targets.iter().map(|t| t.to_string()).collect(),
        overrides: Vec::new(),
    };
    let status = drift
        .apply_baseline(with_key(&key_a, apply(baseline_of_b, &[TENANT_A])))
        .await
        .expect_err("source out of scope");
    assert_eq!(status.code(), Code::NotFound);
    let status = drift
        .apply_baseline(with_key(&key_a, apply(baseline_of_a, &[TENANT_A, TENANT_B])))
        .await
        .expect_err("a target out of scope");
    assert_eq!(status.code(), Code::PermissionDenied);
    let applied = drift
        .apply_baseline(with_key(&key_a, apply(baseline_of_a, &[TENANT_A])))
        .await
        .expect("own baseline on own tenant")
        .into_inner();
    assert_eq!(
        applied.baseline.map(|b| b.applied_tenant_ids),
        Some(vec![TENANT_A.to_owned()])
    );
}
