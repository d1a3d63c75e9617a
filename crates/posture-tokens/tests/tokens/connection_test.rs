//! TestConnection against the simulator: the states operators know, with the reasons behind them,
//! recorded with the vault (the credentials role, not this one, announces a change of state).

use posture_graph_sim::permissions::{GRAPH_NEEDED, MANAGE_NEEDED, MDE_NEEDED};
use posture_graph_sim::{Licences, TenantInfo, TenantSpec};
use posture_proto::internal::v1::{TestConnectionRequest, TestConnectionResponse};
use posture_proto::v1::{ApiResource, ConnectionState, CredentialAccessPurpose, ErrorClass, ResourceCheck};

use crate::common::{Replica, World, health_announcements, health_watcher};
use crate::vault_double::StoredConnection;

async fn test_connection(broker: &Replica, tenant: &TenantInfo) -> TestConnectionResponse {
    broker
        .client()
        .test_connection(TestConnectionRequest {
            tenant_id: tenant.tenant_id.to_string(),
        })
        .await
        .expect("the test runs")
        .into_inner()
}

fn state(value: i32) -> ConnectionState {
    ConnectionState::try_from(value).expect("a known state")
}

fn resource(response: &TestConnectionResponse, api: ApiResource) -> ResourceCheck {
    let health = response.health.as_ref().expect("health");
    health
        .resources
        .iter()
        .find(|r| r.resource == api as i32)
        .cloned()
        .expect("the API was checked")
}

#[tokio::test]
async fn a_fully_consented_tenant_is_connected_and_recorded_for_the_vault_to_announce() {
    let world = World::new().await;
    let tenant = world.tenant(TenantSpec::default());
    let broker = world.standalone().await;
    let mut watcher = health_watcher(broker.bus.as_ref()).await;

    let response = test_connection(&broker, &tenant).await;

    let health = response.health.clone().expect("health");
    assert_eq!(
        state(health.state),
        ConnectionState::Connected,
        "{:?}",
        health.reason
    );
    assert!(health.reason.is_none());
    assert_eq!(response.credential_version, 1);
    for api in [
        ApiResource::Graph,
        ApiResource::Defender,
        ApiResource::ManagementActivity,
    ] {
        let check = resource(&response, api);
        assert_eq!(
            state(check.state),
            ConnectionState::Connected,
            "{api:?}: {:?}",
            check.reason
        );
        assert!(!check.granted_roles.is_empty());
        assert!(check.permissions.iter().all(|p| p.granted), "{api:?}");
    }
    let graph = resource(&response, ApiResource::Graph);
    let users = graph
        .permissions
        .iter()
        .find(|p| p.permission == "User.Read.All")
        .expect("User.Read.All was probed");
    assert!(users.required);
    assert!(
        users.probe_endpoint.starts_with("GET /v1.0/"),
        "{}",
        users.probe_endpoint
    );

    let recorded = world.vault.recorded_health();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].credential_version, 1);
    assert_eq!(
        recorded[0].health.as_ref().map(|h| h.state),
        Some(ConnectionState::Connected as i32)
    );
    assert!(
        world
            .vault
            .accesses()
            .iter()
            .any(|a| a.tenant == tenant.tenant_id.to_string()
                && a.purpose == CredentialAccessPurpose::ConnectionTest
                && a.caller == "tokens")
    );

    // The vault (the credentials role) owns the state and announces its changes; the test itself
    // publishes nothing, so one change is never announced twice.
    let announced = health_announcements(watcher.as_mut(), broker.bus.as_ref(), &tenant).await;
    assert!(announced.is_empty(), "{announced:?}");
}

#[tokio::test]
async fn a_wrong_secret_is_an_authentication_error_with_aadsts7000215() {
    let world = World::new().await;
    let tenant = world.tenant(TenantSpec::default());
    world.vault.put(
        &tenant.tenant_id.to_string(),
        StoredConnection {
            client_id: tenant.client_id.to_string(),
            secret: "wrong-secret-value".into(),
            version: 3,
            base_url: world.sim.base_url(),
        },
    );
    let broker = world.standalone().await;

    let response = test_connection(&broker, &tenant).await;

    let health = response.health.expect("health");
    assert_eq!(state(health.state), ConnectionState::AuthenticationError);
    let reason = health.reason.expect("a reason");
    assert_eq!(reason.code, "AADSTS7000215");
    assert_eq!(reason.error_class, ErrorClass::Authentication as i32);
    assert!(reason.message.contains("client secret"), "{}", reason.message);
    assert_eq!(response.credential_version, 3);
    assert_eq!(world.vault.recorded_health()[0].credential_version, 3);
}

#[tokio::test]
async fn missing_consent_is_a_permission_error_naming_the_permissions() {
    let world = World::new().await;
    let withheld = ["Policy.Read.All", "User.Read.All", "Directory.Read.All"];
    let granted: Vec<String> = GRAPH_NEEDED
        .iter()
        .chain(MDE_NEEDED)
        .chain(MANAGE_NEEDED)
        .filter(|p| !withheld.contains(p))
        .map(|p| p.to_string())
        .collect();
    let tenant = world.tenant(TenantSpec {
        permissions: Some(granted),
        ..TenantSpec::default()
    });
    let broker = world.standalone().await;

    let response = test_connection(&broker, &tenant).await;

    let health = response.health.clone().expect("health");
    assert_eq!(state(health.state), ConnectionState::PermissionError);
    let reason = health.reason.expect("a reason");
    assert_eq!(reason.error_class, ErrorClass::Permission as i32);
    assert!(
        reason.missing_permissions.contains(&"Policy.Read.All".to_owned()),
        "{reason:?}"
    );
    assert!(
        reason.missing_permissions.contains(&"User.Read.All".to_owned()),
        "{reason:?}"
    );
    assert!(reason.message.contains("Policy.Read.All"));
    // Defender and Management Activity keep their own, healthy results.
    assert_eq!(
        state(resource(&response, ApiResource::Defender).state),
        ConnectionState::Connected
    );
    assert_eq!(
        state(resource(&response, ApiResource::ManagementActivity).state),
        ConnectionState::Connected
    );
}

#[tokio::test]
async fn a_tenant_without_defender_is_reported_apart_and_graph_stays_connected() {
    let world = World::new().await;
    let tenant = world.tenant(TenantSpec {
        licences: Licences {
            defender_p2: false,
            e5: false,
            ..Licences::default()
        },
        ..TenantSpec::default()
    });
    let broker = world.standalone().await;

    let response = test_connection(&broker, &tenant).await;

    let health = response.health.clone().expect("health");
    assert_eq!(
        state(health.state),
        ConnectionState::Connected,
        "{:?}",
        health.reason
    );
    let defender = resource(&response, ApiResource::Defender);
    assert_eq!(state(defender.state), ConnectionState::PermissionError);
    let reason = defender.reason.expect("a reason");
    assert_eq!(reason.error_class, ErrorClass::License as i32);
    assert_eq!(reason.code, "AADSTS500011");
}

#[tokio::test]
async fn an_app_without_an_exchange_role_is_a_permission_error_on_exchange_naming_the_role() {
    let world = World::new().await;
    let tenant = world.tenant(TenantSpec::default());
    world
        .sim
        .mutate(
            &tenant.tenant_id.to_string(),
            posture_graph_sim::Mutation::SetExchangeRole { assigned: false },
        )
        .expect("the role is removed");
    let broker = world.standalone().await;

    let response = test_connection(&broker, &tenant).await;

    let exchange = resource(&response, ApiResource::ExchangeOnline);
    assert_eq!(state(exchange.state), ConnectionState::PermissionError);
    let reason = exchange.reason.expect("a reason");
    assert_eq!(reason.error_class, ErrorClass::Permission as i32);
    assert!(
        reason
            .missing_permissions
            .iter()
            .any(|r| r.contains("Global Reader")),
        "{reason:?}"
    );
    assert!(
        reason.message.contains("Exchange.ManageAsApp is granted"),
        "{reason:?}"
    );
    // Graph, and so the connection as a whole, is unaffected.
    assert_eq!(
        state(response.health.expect("health").state),
        ConnectionState::Connected
    );
}
