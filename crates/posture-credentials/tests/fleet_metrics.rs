//! The fleet gauges read from the store: connections per health state, credentials expiring
//! within 7 and 30 days, and days to expiry per tenant, which go away with the tenant.

mod common;

use chrono::Duration;
use common::*;
use posture_credentials::FleetMetrics;
use posture_kit::db::test_support::TestDatabase;
use posture_kit::telemetry::MetricsRegistry;
use posture_proto::v1::DeleteConnectionRequest;

fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn fleet_gauges_follow_connections_states_and_expiry() {
    let mut h = Harness::start(TestDatabase::sqlite().expect("sqlite")).await;
    let registry = MetricsRegistry::new();
    let metrics = FleetMetrics::register(&registry);

    h.create(TENANT_A, SECRET).await;
    h.create(TENANT_B, SECRET).await;
    h.rotate_secret(TENANT_B, OTHER_SECRET, start_time() + Duration::days(5))
        .await;
    h.role.refresh_fleet_metrics(&metrics).await.expect("refresh");

    let text = registry.encode().expect("encode");
    assert_eq!(
        value(&text, r#"posture_credentials_connections{state="pending"}"#),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        value(&text, r#"posture_credentials_connections{state="connected"}"#),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"posture_credentials_expiring_connections{within_days="7"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            &format!(r#"posture_credentials_secret_expiry_days{{tenant_id="{TENANT_A}"}}"#)
        ),
        Some(180.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            &format!(r#"posture_credentials_secret_expiry_days{{tenant_id="{TENANT_B}"}}"#)
        ),
        Some(5.0),
        "{text}"
    );

    h.connections
        .delete_connection(as_admin(DeleteConnectionRequest {
            tenant_id: TENANT_B.to_owned(),
            confirm_tenant_id: TENANT_B.to_owned(),
            reason: "offboarded".to_owned(),
            ..Default::default()
        }))
        .await
        .expect("delete");
    h.role.refresh_fleet_metrics(&metrics).await.expect("refresh");
    let text = registry.encode().expect("encode");
    assert!(
        !text.contains(TENANT_B),
        "a deleted tenant's series goes away: {text}"
    );
    assert_eq!(
        value(
            &text,
            r#"posture_credentials_expiring_connections{within_days="7"}"#
        ),
        Some(0.0),
        "{text}"
    );
}
