//! Tenant connections end to end, through the public gateway, in both deployment modes (the same
//! test body runs against one standalone process and against one process per role on PostgreSQL
//! and NATS): connect a simulator tenant and see Connected; a wrong secret gives Authentication
//! Error with its AADSTS code; an app without consent gives Permission Error naming the
//! permissions; rotating the secret brings the tenant back to Connected. Along the way: no secret
//! in any log line, response or stored row; tenant-scoped keys stay in their tenant; internal
//! services are not reachable through the gateway; malformed requests are rejected cleanly.

use posture_graph_sim::{SimConfig, Simulator, TenantInfo, TenantSpec, ThrottleMode};
use posture_proto::internal::v1::GetConnectionSecretRequest;
use posture_proto::internal::v1::vault_service_client::VaultServiceClient;
use posture_proto::v1::{
    Cloud, ConnectionHealth, ConnectionState, CreateApiKeyRequest, CreateConnectionRequest,
    GetConnectionRequest, Role, TenantScope, TestConnectionRequest, UpdateCredentialsRequest,
};
use posture_tests::scenario::{assert_calls_in_activity_log, endpoints, secret_credential};
use posture_tests::{Deployment, GatewayClients, Mode, authed, both_modes};
use tonic::Code;

/// Permissions the third tenant's admin did not consent to; nothing else granted covers them
/// (Directory.Read.All would cover role reads, for instance, so withholding those proves nothing).
const WITHHELD: [&str; 2] = ["Policy.Read.All", "AuditLog.Read.All"];

async fn connect(
    clients: &mut GatewayClients,
    sim: &Simulator,
    tenant: &TenantInfo,
    secret: &str,
) -> anyhow::Result<ConnectionHealth> {
    clients
        .connections
        .create_connection(CreateConnectionRequest {
            tenant_id: tenant.tenant_id.to_string(),
            display_name: tenant.display_name.clone(),
            client_id: tenant.client_id.to_string(),
            cloud: Cloud::Custom as i32,
            endpoints: Some(endpoints(sim)),
            credential: Some(secret_credential(secret, tenant)),
            tags: Vec::new(),
        })
        .await?;
    test(clients, tenant).await
}

async fn test(clients: &mut GatewayClients, tenant: &TenantInfo) -> anyhow::Result<ConnectionHealth> {
    Ok(clients
        .connections
        .test_connection(TestConnectionRequest {
            tenant_id: tenant.tenant_id.to_string(),
        })
        .await?
        .into_inner()
        .health
        .unwrap_or_default())
}

fn missing(health: &ConnectionHealth) -> Vec<String> {
    let mut names: Vec<String> = health
        .reason
        .iter()
        .flat_map(|r| r.missing_permissions.clone())
        .collect();
    for resource in &health.resources {
        names.extend(resource.reason.iter().flat_map(|r| r.missing_permissions.clone()));
        names.extend(
            resource
                .permissions
                .iter()
                .filter(|p| p.required && !p.granted)
                .map(|p| p.permission.clone()),
        );
    }
    names
}

fn spec(seed: u64, name: &str) -> TenantSpec {
    TenantSpec {
        seed,
        users: 30,
        display_name: Some(name.into()),
        throttling: ThrottleMode::Off,
        ..TenantSpec::default()
    }
}

async fn connection_lifecycle(mode: Mode) -> anyhow::Result<()> {
    let sim = Simulator::start(SimConfig::default()).await?;
    let mut deployment = Deployment::start(mode).await?;
    let mut clients = GatewayClients::connect(&deployment.gateway, &deployment.admin_key).await?;

    // A tenant whose app has every permission Posture needs: Connected.
    let contoso = sim.create_tenant(spec(11, "Contoso"))?;
    let health = connect(&mut clients, &sim, &contoso, contoso.client_secret.expose()).await?;
    assert_eq!(
        health.state,
        ConnectionState::Connected as i32,
        "{mode:?}: {health:?}\n{}",
        deployment.logs()
    );

    // The right tenant and app with a wrong secret: Authentication Error with the AADSTS code.
    let fabrikam = sim.create_tenant(spec(12, "Fabrikam"))?;
    let wrong = "Qx8Q~this-is-not-the-secret-0123456789";
    let health = connect(&mut clients, &sim, &fabrikam, wrong).await?;
    assert_eq!(
        health.state,
        ConnectionState::AuthenticationError as i32,
        "{mode:?}: {health:?}"
    );
    let reason = health.reason.clone().unwrap_or_default();
    assert!(
        format!("{} {}", reason.code, reason.message).contains("7000215"),
        "{mode:?}: the reason names AADSTS7000215: {reason:?}"
    );

    // Rotating the secret brings it back, and only the credentials change.
    let before = clients
        .connections
        .get_connection(GetConnectionRequest {
            tenant_id: fabrikam.tenant_id.to_string(),
        })
        .await?
        .into_inner()
        .connection
        .unwrap_or_default();
    let rotated = sim.add_secret(&fabrikam.tenant_id.to_string(), 180)?;
    let after = clients
        .connections
        .update_credentials(UpdateCredentialsRequest {
            tenant_id: fabrikam.tenant_id.to_string(),
            credential: Some(secret_credential(rotated.value.expose(), &fabrikam)),
            client_id: String::new(),
        })
        .await?
        .into_inner()
        .connection
        .unwrap_or_default();
    assert_eq!(after.display_name, before.display_name);
    assert!(
        after.credential.as_ref().map(|c| c.credential_version)
            > before.credential.as_ref().map(|c| c.credential_version),
        "credential version moves on rotation"
    );
    let health = test(&mut clients, &fabrikam).await?;
    assert_eq!(
        health.state,
        ConnectionState::Connected as i32,
        "{mode:?} after rotation: {health:?}"
    );

    // An app without admin consent for two permissions: Permission Error naming them.
    let granted: Vec<String> = posture_graph_sim::permissions::GRAPH_NEEDED
        .iter()
        .chain(posture_graph_sim::permissions::MDE_NEEDED)
        .chain(posture_graph_sim::permissions::MANAGE_NEEDED)
        .chain(posture_graph_sim::permissions::EXCHANGE_NEEDED)
        .filter(|p| !WITHHELD.contains(p))
        .map(|p| (*p).to_owned())
        .collect();
    let northwind = sim.create_tenant(TenantSpec {
        permissions: Some(granted),
        ..spec(13, "Northwind")
    })?;
    let health = connect(&mut clients, &sim, &northwind, northwind.client_secret.expose()).await?;
    assert_eq!(
        health.state,
        ConnectionState::PermissionError as i32,
        "{mode:?}: {health:?}"
    );
    let named = missing(&health);
    for permission in WITHHELD {
        assert!(
            named.iter().any(|n| n == permission),
            "{mode:?}: {permission} named in {named:?}"
        );
    }

    // A key scoped to Contoso cannot see Fabrikam.
    let scoped = clients
        .api_keys
        .create_api_key(CreateApiKeyRequest {
            display_name: "contoso-viewer".into(),
            role: Role::Viewer as i32,
            scope: Some(TenantScope {
                all_tenants: false,
                tenant_ids: vec![contoso.tenant_id.to_string()],
            }),
            expires_at: None,
        })
        .await?
        .into_inner()
        .key;
    let mut viewer = GatewayClients::connect(&deployment.gateway, &scoped).await?;
    viewer
        .connections
        .get_connection(GetConnectionRequest {
            tenant_id: contoso.tenant_id.to_string(),
        })
        .await?;
    let denied = viewer
        .connections
        .get_connection(GetConnectionRequest {
            tenant_id: fabrikam.tenant_id.to_string(),
        })
        .await
        .expect_err("a key scoped to one tenant must not read another");
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");

    // The vault is not reachable through the gateway, not even with an admin key.
    let mut vault = VaultServiceClient::new(authed(&deployment.gateway, Some(&deployment.admin_key)).await?);
    let unreachable = vault
        .get_connection_secret(GetConnectionSecretRequest {
            tenant_id: contoso.tenant_id.to_string(),
            ..Default::default()
        })
        .await
        .expect_err("the vault must not be served by the gateway");
    assert_eq!(unreachable.code(), Code::Unimplemented, "{unreachable:?}");

    // Malformed and oversized requests are refused with INVALID_ARGUMENT, and the server lives on.
    let malformed = clients
        .connections
        .get_connection(GetConnectionRequest {
            tenant_id: "not-a-tenant-id'; DROP TABLE x;--".into(),
        })
        .await
        .expect_err("a malformed id is refused");
    assert_eq!(malformed.code(), Code::InvalidArgument, "{malformed:?}");
    let oversized = clients
        .connections
        .create_connection(CreateConnectionRequest {
            tenant_id: uuid::Uuid::new_v4().to_string(),
            display_name: "x".repeat(100_000),
            client_id: uuid::Uuid::new_v4().to_string(),
            cloud: Cloud::Global as i32,
            endpoints: None,
            credential: Some(secret_credential("s", &contoso)),
            tags: Vec::new(),
        })
        .await
        .expect_err("an oversized display name is refused");
    assert_eq!(oversized.code(), Code::InvalidArgument, "{oversized:?}");
    clients
        .connections
        .get_connection(GetConnectionRequest {
            tenant_id: contoso.tenant_id.to_string(),
        })
        .await?;

    // Secrets: not in any stored row, and after a clean stop, not in any log line.
    let secrets = [
        contoso.client_secret.expose(),
        rotated.value.expose(),
        wrong,
        northwind.client_secret.expose(),
    ];
    for secret in secrets {
        assert!(
            !deployment.store_contains(secret).await?,
            "{mode:?}: a secret is stored in clear"
        );
    }
    // Every change made through the admin's clients is in the activity log once.
    assert_calls_in_activity_log(&mut clients, &deployment.admin_key).await?;
    deployment.stop()?;
    let logs = deployment.logs();
    assert!(logs.len() > 1000, "the processes logged: {logs}");
    for secret in secrets
        .into_iter()
        .chain([deployment.admin_key.as_str(), scoped.as_str()])
    {
        assert!(!logs.contains(secret), "{mode:?}: a secret appears in the logs");
    }
    sim.shutdown().await;
    Ok(())
}

both_modes!(
    connects_tests_rotates_and_never_leaks_secrets,
    connection_lifecycle
);
