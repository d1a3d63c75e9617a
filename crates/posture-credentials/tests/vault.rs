//! The internal VaultService over a real socket against PostgreSQL and SQLite: secrets open only
//! for the row they were sealed for, every decryption is logged, health results keep to their
//! credential version.

mod common;

use std::time::Duration;

use common::*;
use posture_kit::ServiceRole;
use posture_kit::config::GrpcConfig;
use posture_kit::db::test_support::TestDatabase;
use posture_kit::grpc::{internal_channel, lazy_channel};
use posture_kit::tls::{CertificateAuthority, InternalTls};
use posture_proto::internal::v1::RecordHealthRequest;
use posture_proto::internal::v1::vault_service_client::VaultServiceClient;
use posture_proto::v1::credential::Kind;
use posture_proto::v1::{
    CertificateCredential, ConnectionHealth, ConnectionState, Credential, CredentialAccessPurpose,
    ErrorClass, FailureReason, ListCredentialAccessesRequest,
};
use tonic::Code;

posture_kit::db_test!(
    ciphertext_moved_to_another_row_fails_to_decrypt,
    |db: TestDatabase| async move {
        let mut h = Harness::start(db).await;
        for (tenant, secret) in [(TENANT_A, SECRET), (TENANT_B, OTHER_SECRET)] {
            h.create(tenant, secret).await;
        }
        let opened = h
            .vault
            .get_connection_secret(vault_request(TENANT_A))
            .await
            .expect("open A")
            .into_inner();
        assert_eq!(secret_value(opened.credential), SECRET);

        // Swap the sealed columns of the two rows, as someone with write access to the table could.
        let store = h.role.store().clone();
        let a = store
            .sealed_secret(&tenant(TENANT_A))
            .await
            .expect("read")
            .expect("row A")
            .sealed;
        let b = store
            .sealed_secret(&tenant(TENANT_B))
            .await
            .expect("read")
            .expect("row B")
            .sealed;
        const SWAP: &str = "UPDATE sealed_secrets SET wrapped_key = $1, ciphertext = $2 WHERE tenant_id = $3";
        execute(&h, SWAP, &[&b.wrapped_key, &b.ciphertext], TENANT_A).await;
        execute(&h, SWAP, &[&a.wrapped_key, &a.ciphertext], TENANT_B).await;

        for tenant in [TENANT_A, TENANT_B] {
            let refused = h
                .vault
                .get_connection_secret(vault_request(tenant))
                .await
                .expect_err("moved ciphertext");
            assert_eq!(refused.code(), Code::FailedPrecondition, "{}", refused.message());
            assert!(refused.message().contains(tenant), "{}", refused.message());
            assert!(!refused.message().contains(SECRET) && !refused.message().contains(OTHER_SECRET));
        }
        // Only the one successful decryption is in the log.
        assert_eq!(h.access_log(TENANT_A).await.len(), 1);
        h.stop().await;
    }
);

posture_kit::db_test!(
    access_log_records_each_secret_handed_out,
    |db: TestDatabase| async move {
        let mut h = Harness::start(db).await;
        h.create(TENANT_A, SECRET).await;
        let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        for minute in 0..3 {
            h.clock.advance(chrono::Duration::minutes(minute));
            let mut request = tonic::Request::new(vault_request(TENANT_A));
            if minute == 2 {
                request.get_mut().purpose = CredentialAccessPurpose::ConnectionTest as i32;
                let traceparent = format!("00-{trace}-00f067aa0ba902b7-01");
                request
                    .metadata_mut()
                    .insert("traceparent", traceparent.parse().expect("metadata"));
            }
            let secret = h
                .vault
                .get_connection_secret(request)
                .await
                .expect("secret")
                .into_inner();
            assert_eq!(secret.credential_version, 1);
            assert_eq!(secret.client_id, CLIENT_ID);
            assert_eq!(
                secret.endpoints.map(|e| e.graph_url),
                Some("https://graph.microsoft.com".to_owned())
            );
        }
        let mut entries = Vec::new();
        let mut token = String::new();
        loop {
            let page = h
                .connections
                .list_credential_accesses(ListCredentialAccessesRequest {
                    tenant_id: TENANT_A.to_owned(),
                    page_size: 2,
                    page_token: token.clone(),
                    ..Default::default()
                })
                .await
                .expect("access log")
                .into_inner();
            entries.extend(page.accesses);
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(entries.len(), 3);
        let newest = &entries[0];
        assert_eq!(newest.caller, "tokens");
        assert_eq!(newest.purpose, CredentialAccessPurpose::ConnectionTest as i32);
        assert_eq!(newest.trace_id, trace);
        assert_eq!(
            newest.accessed_at,
            Some(timestamp(start_time() + chrono::Duration::minutes(3)))
        );
        assert!(
            entries[1..]
                .iter()
                .all(|e| e.purpose == CredentialAccessPurpose::TokenRequest as i32)
        );
        let seconds: Vec<i64> = entries
            .iter()
            .map(|e| e.accessed_at.map(|t| t.seconds).unwrap_or_default())
            .collect();
        assert!(
            seconds.windows(2).all(|w| w[0] >= w[1]),
            "newest first: {seconds:?}"
        );

        // The log cannot be rewritten through SQL.
        let rewrite = with_pool!(h, |pool| sqlx::query("DELETE FROM credential_access_log")
            .execute(pool)
            .await
            .err());
        assert!(rewrite.is_some_and(|e| e.to_string().contains("append-only")));
        h.stop().await;
    }
);

posture_kit::db_test!(
    record_health_for_an_old_credential_version_is_ignored,
    |db: TestDatabase| async move {
        let mut h = Harness::start(db).await;
        h.create(TENANT_A, SECRET).await;
        let failing = ConnectionHealth {
            state: ConnectionState::PermissionError as i32,
            reason: Some(FailureReason {
                error_class: ErrorClass::Permission as i32,
                code: "Authorization_RequestDenied".into(),
                missing_permissions: vec!["Policy.Read.All".into()],
                ..Default::default()
            }),
            checked_at: Some(timestamp(start_time())),
            ..Default::default()
        };
        let recorded = h
            .vault
            .record_health(RecordHealthRequest {
                tenant_id: TENANT_A.into(),
                health: Some(failing.clone()),
                credential_version: 1,
            })
            .await
            .expect("record")
            .into_inner();
        assert!(recorded.recorded);
        h.rotate_secret(TENANT_A, OTHER_SECRET, start_time() + chrono::Duration::days(90))
            .await;
        // A test that started before the rotation reports late.
        let late = h
            .vault
            .record_health(RecordHealthRequest {
                tenant_id: TENANT_A.into(),
                health: Some(failing),
                credential_version: 1,
            })
            .await
            .expect("late result")
            .into_inner();
        assert!(!late.recorded);
        let health = h.connection(TENANT_A).await.expect("get").health.expect("health");
        assert_eq!(health.state, ConnectionState::Pending as i32);
        assert!(health.reason.is_none());

        let missing = h
            .vault
            .record_health(RecordHealthRequest {
                tenant_id: TENANT_B.into(),
                health: Some(ConnectionHealth {
                    state: ConnectionState::Connected as i32,
                    ..Default::default()
                }),
                credential_version: 1,
            })
            .await
            .expect_err("unknown tenant");
        assert_eq!(missing.code(), Code::NotFound);
        h.stop().await;
    }
);

posture_kit::db_test!(
    vault_hands_secrets_only_to_a_verified_tokens_role,
    |db: TestDatabase| async move {
        let mut h = Harness::start(db).await;
        h.create(TENANT_A, SECRET).await;
        let accesses = |h: &Harness| {
            let mut connections = h.connections.clone();
            async move {
                connections
                    .list_credential_accesses(ListCredentialAccessesRequest {
                        tenant_id: TENANT_A.into(),
                        ..Default::default()
                    })
                    .await
                    .expect("access log")
                    .into_inner()
                    .accesses
                    .len()
            }
        };
        let before = accesses(&h).await;

        // Every other role, verified by the internal CA, is refused.
        for role in [
            ServiceRole::Credentials,
            ServiceRole::Sync,
            ServiceRole::Scheduler,
            ServiceRole::Assessment,
            ServiceRole::Gateway,
        ] {
            let refused = VaultServiceClient::new(h.channel_as(&[role]))
                .get_connection_secret(vault_request(TENANT_A))
                .await
                .expect_err("not the tokens role");
            assert_eq!(refused.code(), Code::PermissionDenied, "{role}: {refused}");
        }
        // A "tokens" certificate from another authority, and no certificate at all, never reach it.
        let forged_ca = CertificateAuthority::generate("forged", Duration::from_secs(3600)).expect("CA");
        let forged = InternalTls::issued_by(&forged_ca, &[ServiceRole::Tokens]).expect("forged identity");
        let channel = internal_channel(
            &h.address,
            ServiceRole::Credentials,
            &forged,
            &GrpcConfig::default(),
        )
        .expect("channel");
        VaultServiceClient::new(channel)
            .get_connection_secret(vault_request(TENANT_A))
            .await
            .expect_err("forged certificate");
        let plaintext = lazy_channel(&h.address, &GrpcConfig::default()).expect("channel");
        VaultServiceClient::new(plaintext)
            .get_connection_secret(vault_request(TENANT_A))
            .await
            .expect_err("no certificate");
        assert_eq!(accesses(&h).await, before, "a refused read left an access record");

        // The tokens role reads it, and the access log names the verified role.
        let secret = h
            .vault
            .get_connection_secret(vault_request(TENANT_A))
            .await
            .expect("tokens reads the secret")
            .into_inner();
        assert_eq!(secret_value(secret.credential), SECRET);
        assert_eq!(accesses(&h).await, before + 1);

        let mut request = vault_request(TENANT_A);
        request.purpose = CredentialAccessPurpose::Unspecified as i32;
        let refused = h
            .vault
            .get_connection_secret(request)
            .await
            .expect_err("no purpose");
        assert_eq!(refused.code(), Code::InvalidArgument);
        let missing = h
            .vault
            .get_connection_secret(vault_request(TENANT_B))
            .await
            .expect_err("unknown tenant");
        assert_eq!(missing.code(), Code::NotFound);
        h.stop().await;
    }
);

posture_kit::db_test!(
    certificate_credential_is_sealed_and_returned_only_by_the_vault,
    |db: TestDatabase| async move {
        let mut h = Harness::start(db).await;
        let (certificate_pem, private_key_pem) = self_signed_certificate();
        let mut request = create_request(TENANT_A, SECRET);
        request.credential = Some(Credential {
            kind: Some(Kind::Certificate(CertificateCredential {
                certificate_pem: certificate_pem.clone(),
                private_key_pem: private_key_pem.clone(),
            })),
        });
        let created = h
            .connections
            .create_connection(request)
            .await
            .expect("create")
            .into_inner();
        let metadata = created.connection.and_then(|c| c.credential).expect("metadata");
        assert_eq!(metadata.certificate_thumbprint.len(), 40);
        assert_eq!(metadata.certificate_subject, "CN=posture-test-app");
        let secret = h
            .vault
            .get_connection_secret(vault_request(TENANT_A))
            .await
            .expect("secret")
            .into_inner();
        match secret.credential.and_then(|c| c.kind) {
            Some(Kind::Certificate(cert)) => {
                assert_eq!(cert.certificate_pem.trim(), certificate_pem.trim());
                assert_eq!(cert.private_key_pem.trim(), private_key_pem.trim());
            }
            other => panic!("expected a certificate, got {other:?}"),
        }
        let sealed = h
            .role
            .store()
            .sealed_secret(&tenant(TENANT_A))
            .await
            .expect("read")
            .expect("row");
        let key_body = private_key_pem.lines().nth(1).expect("a base64 line");
        assert!(!String::from_utf8_lossy(&sealed.sealed.ciphertext).contains(key_body));
        h.stop().await;
    }
);

fn self_signed_certificate() -> (String, String) {
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("rsa key");
    let key_pem = key.to_pkcs8_pem(LineEnding::LF).expect("pem").to_string();
    let pair =
        rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(&key_pem, &rcgen::PKCS_RSA_SHA256).expect("key pair");
    let mut params = rcgen::CertificateParams::new(vec!["posture-test-app".to_owned()]).expect("params");
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "posture-test-app");
    (params.self_signed(&pair).expect("certificate").pem(), key_pem)
}

posture_kit::db_test!(
    a_secret_sealed_with_a_retired_key_is_a_failed_precondition_and_an_authentication_error,
    |db: TestDatabase| async move {
        let mut h = Harness::start_with(
            db,
            Options {
                keyring: keyring(&["k0"]),
                ..Default::default()
            },
        )
        .await;
        h.create(TENANT_A, SECRET).await;
        // The role comes back without the key the secret was sealed with.
        let db = h.stop_and_keep_database().await;
        let mut h = Harness::start_with(
            db,
            Options {
                keyring: keyring(&["k1"]),
                ..Default::default()
            },
        )
        .await;
        let refused = h
            .vault
            .get_connection_secret(vault_request(TENANT_A))
            .await
            .expect_err("no key to open it");
        assert_eq!(refused.code(), Code::FailedPrecondition, "{}", refused.message());
        let message = refused.message();
        assert!(
            message.contains("the stored client secret of tenant")
                && message.contains("cannot be decrypted")
                && message.contains("vault key 'k0'")
                && message.contains("UpdateCredentials"),
            "{message}"
        );
        assert!(!message.contains(SECRET), "{message}");

        let health = h.connection(TENANT_A).await.expect("get").health.expect("health");
        assert_eq!(health.state, ConnectionState::AuthenticationError as i32);
        let reason = health.reason.expect("reason");
        assert_eq!(reason.code, "StoredCredentialUnreadable");
        assert_eq!(
            reason.message,
            "the stored client secret cannot be decrypted: it was sealed with vault key 'k0', which is no \
             longer in the keyring; replace the credential with UpdateCredentials"
        );
        // Saving the credential again is the way out.
        h.rotate_secret(TENANT_A, OTHER_SECRET, start_time() + chrono::Duration::days(90))
            .await;
        let opened = h
            .vault
            .get_connection_secret(vault_request(TENANT_A))
            .await
            .expect("the new secret opens")
            .into_inner();
        assert_eq!(secret_value(opened.credential), OTHER_SECRET);
        h.stop().await;
    }
);
