//! Tenant overviews gathered by the gateway from the backends: every part when all are up, the
//! missing parts named in `unavailable_parts` when a backend is down or not deployed, and the
//! caller's scope applied to single and listed overviews.

mod support;

use posture_gateway::{AccessRole, Upstreams};
use posture_kit::ServiceRole;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1;
use posture_proto::v1::overview_service_client::OverviewServiceClient;
use support::{
    Backend, TENANT_A, TENANT_B, TestGateway, closed_address, grpc_config, only, serve_backend, with_key,
};
use tonic::Code;

fn get(tenant: &str) -> v1::GetTenantOverviewRequest {
    v1::GetTenantOverviewRequest {
        tenant_id: tenant.into(),
    }
}

/// The overview of `tenant` as the gateway's admin sees it; the call must succeed (a partial
/// overview is still an answer).
async fn overview_of(gateway: &TestGateway, tenant: &str) -> v1::TenantOverview {
    OverviewServiceClient::new(gateway.channel().await)
        .get_tenant_overview(with_key(&gateway.admin_key, get(tenant)))
        .await
        .expect("an overview")
        .into_inner()
        .overview
        .expect("overview set")
}

fn backend_with_two_tenants() -> Backend {
    let backend = Backend::default();
    backend.add_connection(TENANT_A, "Contoso");
    backend.add_connection(TENANT_B, "Fabrikam");
    backend
}

#[tokio::test]
async fn overview_gathers_every_part_when_all_backends_answer() {
    let backend = backend_with_two_tenants();
    let served = serve_backend(&backend).await;
    let db = TestDatabase::sqlite().expect("sqlite");
    let gateway = TestGateway::start(db, support::all_roles_at(&served.address)).await;
    let overview = overview_of(&gateway, TENANT_A).await;
    assert_eq!(
        overview.connection.map(|c| c.display_name).as_deref(),
        Some("Contoso")
    );
    assert_eq!(overview.last_run.map(|r| r.tenant_id).as_deref(), Some(TENANT_A));
    assert!(overview.latest_assessment.is_some());
    assert_eq!(overview.latest_secure_score.map(|s| s.current_score), Some(42.0));
    assert_eq!(
        overview.latest_exposure_score.map(|s| s.exposure_score),
        Some(30.0)
    );
    assert_eq!(overview.open_drift_count, 3);
    assert!(
        overview.unavailable_parts.is_empty(),
        "{:?}",
        overview.unavailable_parts
    );

    let status = OverviewServiceClient::new(gateway.channel().await)
        .get_tenant_overview(with_key(
            &gateway.admin_key,
            get("7e6d5c4b-3a29-4817-8f6e-5d4c3b2a1908"),
        ))
        .await
        .expect_err("unknown tenant");
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn overview_names_the_parts_of_a_backend_that_is_down() {
    let backend = backend_with_two_tenants();
    let served = serve_backend(&backend).await;
    let config = grpc_config();
    let down = closed_address().await;
    let upstreams = Upstreams::none()
        .with_address(ServiceRole::Credentials, &served.address, &config)
        .and_then(|u| u.with_address(ServiceRole::Sync, &served.address, &config))
        .and_then(|u| u.with_address(ServiceRole::Assessment, &down, &config))
        .expect("addresses");
    let db = TestDatabase::sqlite().expect("sqlite");
    let gateway = TestGateway::start(db, upstreams).await;
    let overview = overview_of(&gateway, TENANT_A).await;
    assert!(overview.connection.is_some());
    assert!(overview.last_run.is_some());
    assert!(overview.latest_assessment.is_none());
    assert_eq!(overview.unavailable_parts, ["assessment", "scores", "drift"]);
}

#[tokio::test]
async fn overview_does_not_wait_for_a_backend_that_hangs() {
    let backend = backend_with_two_tenants();
    *backend.state.drift_delay.lock().expect("lock") = Some(std::time::Duration::from_secs(30));
    let served = serve_backend(&backend).await;
    let db = TestDatabase::sqlite().expect("sqlite");
    let gateway = TestGateway::start_configured(
        db,
        support::all_roles_at(&served.address),
        grpc_config(),
        std::time::Duration::from_millis(300),
    )
    .await;
    let overview = overview_of(&gateway, TENANT_A).await;
    assert_eq!(overview.unavailable_parts, ["drift"]);
    assert_eq!(overview.open_drift_count, 0);
    assert!(overview.latest_assessment.is_some());
}

#[tokio::test]
async fn overview_names_the_parts_of_roles_not_deployed() {
    let backend = backend_with_two_tenants();
    let served = serve_backend(&backend).await;
    let upstreams = Upstreams::none()
        .with_address(ServiceRole::Credentials, &served.address, &grpc_config())
        .expect("address");
    let db = TestDatabase::sqlite().expect("sqlite");
    let gateway = TestGateway::start(db, upstreams).await;
    let overview = overview_of(&gateway, TENANT_B).await;
    assert_eq!(
        overview.connection.map(|c| c.display_name).as_deref(),
        Some("Fabrikam")
    );
    assert_eq!(
        overview.unavailable_parts,
        ["last_run", "assessment", "scores", "drift"]
    );
}

#[tokio::test]
async fn an_assessment_role_without_drift_leaves_only_drift_unavailable() {
    let backend = backend_with_two_tenants();
    // An assessment role of an older release, without DriftService: the server answers its
    // calls with UNIMPLEMENTED. The other parts still show.
    let served = support::serve(
        posture_kit::grpc::GrpcServer::new(&grpc_config())
            .add_service(backend.credentials())
            .add_service(backend.sync())
            .add_service(backend.assessment())
            .add_service(backend.scores()),
    )
    .await;
    let db = TestDatabase::sqlite().expect("sqlite");
    let gateway = TestGateway::start(db, support::all_roles_at(&served.address)).await;
    let overview = overview_of(&gateway, TENANT_A).await;
    assert!(overview.latest_assessment.is_some());
    assert!(overview.latest_exposure_score.is_some());
    assert_eq!(overview.open_drift_count, 0);
    assert_eq!(overview.unavailable_parts, ["drift"]);
}

#[tokio::test]
async fn overviews_respect_the_callers_tenant_scope() {
    let backend = backend_with_two_tenants();
    let served = serve_backend(&backend).await;
    let db = TestDatabase::sqlite().expect("sqlite");
    let gateway = TestGateway::start(db, support::all_roles_at(&served.address)).await;
    let key_a = gateway
        .key("tenant a viewer", AccessRole::Viewer, only(TENANT_A))
        .await;
    let mut client = OverviewServiceClient::new(gateway.channel().await);

    let status = client
        .get_tenant_overview(with_key(&key_a, get(TENANT_B)))
        .await
        .expect_err("other tenant");
    assert_eq!(status.code(), Code::PermissionDenied);

    let listed = client
        .list_tenant_overviews(with_key(&key_a, v1::ListTenantOverviewsRequest::default()))
        .await
        .expect("list")
        .into_inner();
    let tenants: Vec<_> = listed
        .overviews
        .iter()
        .filter_map(|o| o.connection.as_ref().map(|c| c.tenant_id.as_str()))
        .collect();
    assert_eq!(tenants, [TENANT_A]);
    assert_eq!(listed.overviews[0].open_drift_count, 3);

    let everything = client
        .list_tenant_overviews(with_key(
            &gateway.admin_key,
            v1::ListTenantOverviewsRequest::default(),
        ))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(everything.overviews.len(), 2);
}

#[tokio::test]
async fn listing_overviews_needs_the_credentials_role() {
    let db = TestDatabase::sqlite().expect("sqlite");
    let upstreams = Upstreams::none()
        .with_address(ServiceRole::Credentials, &closed_address().await, &grpc_config())
        .expect("address");
    let gateway = TestGateway::start(db, upstreams).await;
    let mut client = OverviewServiceClient::new(gateway.channel().await);
    let status = client
        .list_tenant_overviews(with_key(
            &gateway.admin_key,
            v1::ListTenantOverviewsRequest::default(),
        ))
        .await
        .expect_err("credentials down");
    assert_eq!(status.code(), Code::Unavailable);
}
