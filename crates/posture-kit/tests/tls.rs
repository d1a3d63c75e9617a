//! TLS between roles and at the edge, over real sockets: mutual TLS refuses callers without a role
//! certificate from the internal CA, clients refuse servers that do not hold the role they call,
//! unknown paths are refused to every role, and an edge certificate replaced on disk is served to
//! new connections without a restart.

mod common;

use std::time::Duration;

use posture_kit::ServiceRole;
use posture_kit::config::GrpcConfig;
use posture_kit::grpc::{GrpcServer, connect_tls_channel, internal_channel, lazy_channel};
use posture_kit::tls::{
    CertificateAuthority, ClientTls, InternalTls, PemFiles, ServerTls, write_private, write_public,
};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

const VALIDITY: Duration = Duration::from_secs(3600);

fn authority() -> CertificateAuthority {
    CertificateAuthority::generate("test CA", VALIDITY).expect("CA")
}

fn config() -> GrpcConfig {
    GrpcConfig {
        connect_timeout_secs: 5,
        ..GrpcConfig::default()
    }
}

/// An internal server holding `roles`' certificate from `ca`, with the trace echo and health.
async fn internal_server(ca: &CertificateAuthority, roles: &[ServiceRole]) -> common::Running {
    let tls = InternalTls::issued_by(ca, roles).expect("identity");
    common::serve(
        GrpcServer::new(&config())
            .internal_tls(&tls)
            .add_service(common::TraceEcho),
    )
    .await
}

async fn health(channel: tonic::transport::Channel) -> Result<(), tonic::Status> {
    HealthClient::new(channel)
        .check(HealthCheckRequest::default())
        .await
        .map(|_| ())
}

#[tokio::test]
async fn a_role_with_a_certificate_from_the_internal_ca_is_served() {
    let ca = authority();
    let server = internal_server(&ca, &[ServiceRole::Credentials]).await;
    let caller = InternalTls::issued_by(&ca, &[ServiceRole::Tokens]).expect("caller");
    let channel =
        internal_channel(&server.address, ServiceRole::Credentials, &caller, &config()).expect("channel");
    health(channel).await.expect("health over mutual TLS");
}

#[tokio::test]
async fn a_caller_without_a_certificate_is_refused_at_the_handshake() {
    let ca = authority();
    let server = internal_server(&ca, &[ServiceRole::Credentials]).await;

    // Plaintext: the server speaks only TLS.
    let plain = lazy_channel(&server.address, &config()).expect("channel");
    let error = health(plain).await.expect_err("plaintext refused");
    // The server answers HTTP/2 cleartext with a TLS alert and closes: a transport failure.
    assert!(
        matches!(error.code(), tonic::Code::Unavailable | tonic::Code::Unknown),
        "{error}"
    );

    // TLS that trusts the server but presents no certificate.
    let ca_file = tempfile::NamedTempFile::new().expect("temp");
    write_public(ca_file.path(), ca.certificate_pem()).expect("ca file");
    let anonymous = ClientTls::edge(Some(ca_file.path()), None).expect("client");
    let connector = anonymous
        .connector(Some("credentials.posture.internal".to_owned()))
        .expect("connector");
    let channel = tonic::transport::Endpoint::from_shared(server.address.clone())
        .expect("endpoint")
        .connect_with_connector_lazy(connector);
    let error = health(channel).await.expect_err("no client certificate");
    assert!(format!("{error:?}").contains("CertificateRequired"), "{error:?}");
}

#[tokio::test]
async fn a_certificate_from_another_authority_is_refused() {
    let ca = authority();
    let server = internal_server(&ca, &[ServiceRole::Credentials]).await;
    // Same role name, different CA: a forged "tokens" certificate.
    let forged = InternalTls::issued_by(&authority(), &[ServiceRole::Tokens]).expect("forged");
    let channel =
        internal_channel(&server.address, ServiceRole::Credentials, &forged, &config()).expect("channel");
    let error = health(channel).await.expect_err("forged identity refused");
    assert_eq!(error.code(), tonic::Code::Unavailable, "{error}");
}

#[tokio::test]
async fn a_client_refuses_a_server_that_does_not_hold_the_role_it_calls() {
    let ca = authority();
    // A sync process answering at the address configured for the vault.
    let impostor = internal_server(&ca, &[ServiceRole::Sync]).await;
    let tokens = InternalTls::issued_by(&ca, &[ServiceRole::Tokens]).expect("tokens");
    let channel =
        internal_channel(&impostor.address, ServiceRole::Credentials, &tokens, &config()).expect("channel");
    let error = health(channel).await.expect_err("wrong server role");
    assert_eq!(error.code(), tonic::Code::Unavailable, "{error}");
}

#[tokio::test]
async fn a_path_no_rule_names_is_refused_even_to_a_verified_role() {
    let ca = authority();
    let server = internal_server(&ca, &[ServiceRole::Credentials]).await;
    let caller = InternalTls::issued_by(&ca, &ServiceRole::ALL).expect("caller");
    let channel =
        internal_channel(&server.address, ServiceRole::Credentials, &caller, &config()).expect("channel");
    let error = common::whoami(channel).await.expect_err("default deny");
    assert_eq!(error.code(), tonic::Code::PermissionDenied, "{error}");
}

#[tokio::test]
async fn a_certificate_naming_no_role_is_not_an_identity() {
    let ca = authority();
    let dir = tempfile::tempdir().expect("dir");
    let issued = ca.issue_client("someone", VALIDITY).expect("client cert");
    write_public(&dir.path().join("c.pem"), &issued.certificate_pem).expect("write");
    write_private(&dir.path().join("k.pem"), &issued.private_key_pem).expect("write");
    write_public(&dir.path().join("ca.pem"), ca.certificate_pem()).expect("write");
    let error = InternalTls::from_files(PemFiles {
        certificate: dir.path().join("c.pem"),
        private_key: dir.path().join("k.pem"),
        ca: Some(dir.path().join("ca.pem")),
    })
    .expect_err("no role");
    assert!(error.to_string().contains("names no Posture role"), "{error}");
}

fn write_edge(dir: &std::path::Path, ca: &CertificateAuthority) {
    let issued = ca
        .issue_server(
            &["localhost".to_owned()],
            &["127.0.0.1".parse().expect("ip")],
            VALIDITY,
        )
        .expect("server cert");
    // Key first, then the certificate: between the two writes the pair does not match, which
    // the server must ride out with the previous pair.
    write_private(&dir.join("tls.key"), &issued.private_key_pem).expect("key");
    write_public(&dir.join("tls.crt"), &issued.certificate_pem).expect("cert");
}

#[tokio::test]
async fn the_edge_serves_a_rotated_certificate_without_restarting() {
    let dir = tempfile::tempdir().expect("dir");
    let (old_ca, new_ca) = (authority(), authority());
    write_edge(dir.path(), &old_ca);
    let tls = ServerTls::edge_from_files(PemFiles {
        certificate: dir.path().join("tls.crt"),
        private_key: dir.path().join("tls.key"),
        ca: None,
    })
    .expect("edge tls");
    let server = common::serve(GrpcServer::new(&config()).edge_tls(tls)).await;
    let address = server.address.replace("http://", "https://");

    let trusts = |ca: &CertificateAuthority, name: &str| {
        let path = dir.path().join(name);
        write_public(&path, ca.certificate_pem()).expect("ca");
        ClientTls::edge(Some(&path), None).expect("client")
    };
    let (trusts_old, trusts_new) = (trusts(&old_ca, "old-ca.pem"), trusts(&new_ca, "new-ca.pem"));

    let channel = connect_tls_channel(&address, &trusts_old, &config())
        .await
        .expect("old cert served");
    health(channel).await.expect("health");
    let error = connect_tls_channel(&address, &trusts_new, &config())
        .await
        .expect_err("new CA not yet in use");
    assert!(error.to_string().contains("certificate"), "{error}");

    write_edge(dir.path(), &new_ca);
    let channel = connect_tls_channel(&address, &trusts_new, &config())
        .await
        .expect("rotated cert served to a new connection");
    health(channel).await.expect("health after rotation");
    assert!(
        connect_tls_channel(&address, &trusts_old, &config())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn an_edge_requiring_client_certificates_refuses_callers_without_one() {
    let dir = tempfile::tempdir().expect("dir");
    let ca = authority();
    write_edge(dir.path(), &ca);
    write_public(&dir.path().join("ca.pem"), ca.certificate_pem()).expect("ca");
    let tls = ServerTls::edge_from_files(PemFiles {
        certificate: dir.path().join("tls.crt"),
        private_key: dir.path().join("tls.key"),
        ca: Some(dir.path().join("ca.pem")),
    })
    .expect("edge tls");
    let server = common::serve(GrpcServer::new(&config()).edge_tls(tls)).await;
    let address = server.address.replace("http://", "https://");

    let without = ClientTls::edge(Some(&dir.path().join("ca.pem")), None).expect("client");
    let refused = match connect_tls_channel(&address, &without, &config()).await {
        // TLS 1.3 finishes the client's side before the server checks its certificate.
        Ok(channel) => health(channel).await.is_err(),
        Err(_) => true,
    };
    assert!(refused, "a caller without a client certificate was served");

    let issued = ca.issue_client("ops", VALIDITY).expect("client cert");
    write_public(&dir.path().join("client.crt"), &issued.certificate_pem).expect("cert");
    write_private(&dir.path().join("client.key"), &issued.private_key_pem).expect("key");
    let with = ClientTls::edge(
        Some(&dir.path().join("ca.pem")),
        Some(&PemFiles {
            certificate: dir.path().join("client.crt"),
            private_key: dir.path().join("client.key"),
            ca: None,
        }),
    )
    .expect("client");
    let channel = connect_tls_channel(&address, &with, &config())
        .await
        .expect("connect");
    health(channel).await.expect("served with a client certificate");
}
