//! Trust boundaries end to end, over real sockets, in both deployment modes: every internal server
//! refuses callers without a role certificate from the deployment's CA (plaintext, no certificate,
//! a "tokens" certificate from another CA); distributed, each role gets only what its verified
//! role may have (no secret for sync or the gateway, no token for the gateway, no public service
//! for a role other than the gateway) and the vault's access log names the verified role; the CLI
//! refuses to send a key in cleartext to another machine, speaks TLS to an `https://` gateway
//! (never a cleartext byte of the key), and works against the distributed stack's TLS gateway with
//! its CA file; the gateway serves a certificate replaced on disk without restarting.

use std::io::Read as _;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use posture_graph_sim::{SimConfig, Simulator, TenantSpec, ThrottleMode};
use posture_kit::ServiceRole;
use posture_kit::config::GrpcConfig;
use posture_kit::grpc::{internal_channel, lazy_channel};
use posture_kit::tls::{CertificateAuthority, ClientTls, InternalTls, PemFiles, write_private, write_public};
use posture_proto::internal::v1::token_broker_service_client::TokenBrokerServiceClient;
use posture_proto::internal::v1::vault_service_client::VaultServiceClient;
use posture_proto::internal::v1::{GetConnectionSecretRequest, GetTokenRequest};
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use posture_proto::v1::{
    Cloud, CreateConnectionRequest, CredentialAccessPurpose, ListConnectionsRequest,
    ListCredentialAccessesRequest,
};
use posture_tests::scenario::{endpoints, secret_credential};
use posture_tests::{Deployment, GatewayClients, Mode, both_modes};
use tonic::Code;
use tonic::transport::Channel;

fn grpc() -> GrpcConfig {
    GrpcConfig {
        connect_timeout_secs: 5,
        request_timeout_secs: 10,
        ..GrpcConfig::default()
    }
}

fn secret_request(tenant_id: &str) -> GetConnectionSecretRequest {
    GetConnectionSecretRequest {
        tenant_id: tenant_id.to_owned(),
        purpose: CredentialAccessPurpose::TokenRequest as i32,
    }
}

/// A caller holding `role`'s certificate from the deployment's own CA folder.
fn as_role(certificates: &Path, role: &str, address: &str, server: ServiceRole) -> anyhow::Result<Channel> {
    let tls = InternalTls::from_files(PemFiles {
        certificate: certificates.join(format!("{role}.crt")),
        private_key: certificates.join(format!("{role}.key")),
        ca: Some(certificates.join("ca.crt")),
    })?;
    Ok(internal_channel(address, server, &tls, &grpc())?)
}

async fn internal_servers_refuse_unverified_callers(
    deployment: &Deployment,
    tenant_id: &str,
) -> anyhow::Result<()> {
    let forged_ca = CertificateAuthority::generate("forged", Duration::from_secs(3600))?;
    let forged = InternalTls::issued_by(&forged_ca, &ServiceRole::ALL)?;
    for (role, address) in deployment.internal_servers() {
        let address = format!("http://{address}");
        let plaintext = lazy_channel(&address, &grpc())?;
        let refused = VaultServiceClient::new(plaintext)
            .get_connection_secret(secret_request(tenant_id))
            .await
            .expect_err("a plaintext call was answered");
        assert_ne!(refused.code(), Code::NotFound, "{role}: {refused:?}");
        let plaintext = lazy_channel(&address, &grpc())?;
        TenantConnectionServiceClient::new(plaintext)
            .list_connections(ListConnectionsRequest::default())
            .await
            .expect_err("a public service answered a plaintext call on an internal port");
        for server in [ServiceRole::Credentials, ServiceRole::Tokens, ServiceRole::Sync] {
            let channel = internal_channel(&address, server, &forged, &grpc())?;
            VaultServiceClient::new(channel)
                .get_connection_secret(secret_request(tenant_id))
                .await
                .expect_err("a certificate from another CA was accepted");
        }
    }
    Ok(())
}

/// Distributed: each role gets what its verified role may have, and nothing else.
async fn roles_get_only_what_they_may(
    deployment: &Deployment,
    certificates: &Path,
    tenant_id: &str,
) -> anyhow::Result<()> {
    let servers = deployment.internal_servers();
    let at = |wanted: &str| {
        servers
            .iter()
            .find(|(role, _)| *role == wanted)
            .map(|(_, address)| format!("http://{address}"))
            .expect("role address")
    };
    let (credentials, tokens) = (at("credentials"), at("tokens"));
    for caller in ["credentials", "sync", "scheduler", "assessment", "gateway"] {
        let refused = VaultServiceClient::new(as_role(
            certificates,
            caller,
            &credentials,
            ServiceRole::Credentials,
        )?)
        .get_connection_secret(secret_request(tenant_id))
        .await
        .expect_err("only tokens reads secrets");
        assert_eq!(refused.code(), Code::PermissionDenied, "{caller}: {refused:?}");
    }
    for caller in ["credentials", "scheduler", "assessment", "gateway"] {
        let refused =
            TokenBrokerServiceClient::new(as_role(certificates, caller, &tokens, ServiceRole::Tokens)?)
                .get_token(GetTokenRequest {
                    tenant_id: tenant_id.to_owned(),
                    ..Default::default()
                })
                .await
                .expect_err("only sync gets tokens");
        assert_eq!(refused.code(), Code::PermissionDenied, "{caller}: {refused:?}");
    }
    for caller in ["tokens", "sync", "assessment"] {
        let refused = TenantConnectionServiceClient::new(as_role(
            certificates,
            caller,
            &credentials,
            ServiceRole::Credentials,
        )?)
        .list_connections(ListConnectionsRequest::default())
        .await
        .expect_err("public services on internal ports answer only the gateway");
        assert_eq!(refused.code(), Code::PermissionDenied, "{caller}: {refused:?}");
    }

    // The tokens role does read the secret, and the access log names the verified role.
    let mut clients = GatewayClients::connect(&deployment.gateway, &deployment.admin_key).await?;
    let before = accesses(&mut clients, tenant_id).await?;
    VaultServiceClient::new(as_role(
        certificates,
        "tokens",
        &credentials,
        ServiceRole::Credentials,
    )?)
    .get_connection_secret(secret_request(tenant_id))
    .await?;
    let after = accesses(&mut clients, tenant_id).await?;
    assert_eq!(after.len(), before.len() + 1, "one read, one record");
    assert!(after.iter().all(|caller| caller == "tokens"), "{after:?}");
    Ok(())
}

async fn accesses(clients: &mut GatewayClients, tenant_id: &str) -> anyhow::Result<Vec<String>> {
    Ok(clients
        .connections
        .list_credential_accesses(ListCredentialAccessesRequest {
            tenant_id: tenant_id.to_owned(),
            page_size: 1000,
            ..Default::default()
        })
        .await?
        .into_inner()
        .accesses
        .into_iter()
        .map(|access| access.caller)
        .collect())
}

fn cli(gateway: &str, key: &str, ca_cert: Option<&Path>) -> anyhow::Result<std::process::Output> {
    let mut command = Command::new(posture_tests::deployment::posture_binary()?);
    command
        .args(["tenants", "list"])
        .env("POSTURE_GATEWAY", gateway)
        .env("POSTURE_API_KEY", key)
        .env_remove("POSTURE_CA_CERT");
    if let Some(ca) = ca_cert {
        command.env("POSTURE_CA_CERT", ca);
    }
    Ok(command.output()?)
}

/// The CLI never puts a key on the wire in cleartext.
fn cli_refuses_cleartext(key: &str) -> anyhow::Result<()> {
    // http:// to another machine: refused before any connection.
    let output = cli("http://192.0.2.10:7700", key, None)?;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refusing to send the API key in cleartext"),
        "{stderr}"
    );

    // https:// to a server that is not TLS: what reaches it is a TLS handshake, not the key.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let receiver = std::thread::spawn(move || -> Vec<u8> {
        let Ok((mut stream, _)) = listener.accept() else {
            return Vec::new();
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let mut received = vec![0u8; 4096];
        let n = stream.read(&mut received).unwrap_or(0);
        received.truncate(n);
        received
    });
    let output = cli(&format!("https://127.0.0.1:{port}"), key, None)?;
    assert!(!output.status.success());
    let received = receiver.join().expect("listener thread");
    assert_eq!(received.first(), Some(&0x16), "not a TLS handshake: {received:?}");
    let text = String::from_utf8_lossy(&received);
    assert!(
        !text.contains(key) && !text.contains("Bearer"),
        "the key crossed in cleartext"
    );
    Ok(())
}

/// Distributed: the gateway serves TLS; the CLI works with the CA file and says why without it;
/// a replaced certificate is served to new connections without a restart.
async fn tls_gateway(deployment: &Deployment, certificates: &Path) -> anyhow::Result<()> {
    let url = deployment.gateway.url();
    assert!(url.starts_with("https://"), "{url}");
    let output = cli(&url, &deployment.admin_key, Some(&certificates.join("ca.crt")))?;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = cli(&url, &deployment.admin_key, None)?;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("certificate"),
        "the failure does not say why: {stderr}"
    );

    // Rotation: a certificate from a new CA, written over the gateway's files.
    let new_ca = CertificateAuthority::generate("rotated", Duration::from_secs(3600))?;
    let issued = new_ca.issue_server(
        &["localhost".to_owned()],
        &["127.0.0.1".parse()?],
        Duration::from_secs(3600),
    )?;
    write_private(&certificates.join("edge.key"), &issued.private_key_pem)?;
    write_public(&certificates.join("edge.crt"), &issued.certificate_pem)?;
    let new_ca_file = certificates.join("rotated-ca.crt");
    write_public(&new_ca_file, new_ca.certificate_pem())?;
    let tls = ClientTls::edge(Some(&new_ca_file), None)?;
    let channel = tonic::transport::Endpoint::from_shared(url.clone())?
        .connect_with_connector(tls.connector(None)?)
        .await?;
    let header: tonic::metadata::MetadataValue<_> = format!("Bearer {}", deployment.admin_key).parse()?;
    let mut connections =
        TenantConnectionServiceClient::with_interceptor(channel, move |mut request: tonic::Request<()>| {
            request.metadata_mut().insert("authorization", header.clone());
            Ok(request)
        });
    connections
        .list_connections(ListConnectionsRequest::default())
        .await?;
    let output = cli(&url, &deployment.admin_key, Some(&certificates.join("ca.crt")))?;
    assert!(!output.status.success(), "the old certificate is still served");
    Ok(())
}

async fn trust_boundaries(mode: Mode) -> anyhow::Result<()> {
    let deployment = Deployment::start(mode).await?;
    let sim = Simulator::start(SimConfig::default()).await?;
    let tenant = sim.create_tenant(TenantSpec {
        users: 10,
        throttling: ThrottleMode::Off,
        ..TenantSpec::default()
    })?;
    let tenant_id = tenant.tenant_id.to_string();
    let mut clients = GatewayClients::connect(&deployment.gateway, &deployment.admin_key).await?;
    clients
        .connections
        .create_connection(CreateConnectionRequest {
            tenant_id: tenant_id.clone(),
            display_name: tenant.display_name.clone(),
            client_id: tenant.client_id.to_string(),
            cloud: Cloud::Custom as i32,
            endpoints: Some(endpoints(&sim)),
            credential: Some(secret_credential(tenant.client_secret.expose(), &tenant)),
            tags: Vec::new(),
        })
        .await?;

    internal_servers_refuse_unverified_callers(&deployment, &tenant_id).await?;
    cli_refuses_cleartext(&deployment.admin_key)?;
    if let Some(certificates) = deployment.certificates() {
        roles_get_only_what_they_may(&deployment, &certificates, &tenant_id).await?;
        tls_gateway(&deployment, &certificates).await?;
    }
    sim.shutdown().await;
    Ok(())
}

both_modes!(
    internal_calls_need_a_verified_role_and_keys_never_cross_in_cleartext,
    trust_boundaries
);
