//! The internal SigningService over a real socket with role certificates, against PostgreSQL and
//! SQLite: only the assessment role may use the evidence signing key, the key is created once and
//! its signatures verify with the public key it lists.

mod common;

use common::*;
use posture_kit::ServiceRole;
use posture_kit::db::test_support::TestDatabase;
use posture_kit::evidence::VerifyingKey;
use posture_proto::internal::v1::signing_service_client::SigningServiceClient;
use posture_proto::internal::v1::{GetActiveSigningKeyRequest, ListSigningKeysRequest, SignRequest};
use tonic::Code;
use tonic::transport::Channel;

fn signer(h: &Harness, roles: &[ServiceRole]) -> SigningServiceClient<Channel> {
    SigningServiceClient::new(h.channel_as(roles))
}

async fn active_key_id(client: &mut SigningServiceClient<Channel>) -> String {
    client
        .get_active_signing_key(GetActiveSigningKeyRequest {})
        .await
        .expect("active key")
        .into_inner()
        .key
        .expect("key")
        .key_id
}

posture_kit::db_test!(
    only_the_assessment_role_may_use_the_signing_key,
    |db: TestDatabase| async move {
        let h = Harness::start(db).await;
        for role in [
            ServiceRole::Gateway,
            ServiceRole::Tokens,
            ServiceRole::Sync,
            ServiceRole::Scheduler,
            ServiceRole::Credentials,
        ] {
            let mut client = signer(&h, &[role]);
            let sign = client
                .sign(SignRequest {
                    payload: b"manifest".to_vec(),
                    key_id: String::new(),
                    purpose: "test".to_owned(),
                })
                .await
                .expect_err("refused");
            assert_eq!(sign.code(), Code::PermissionDenied, "{role}: {}", sign.message());
            let active = client
                .get_active_signing_key(GetActiveSigningKeyRequest {})
                .await
                .expect_err("refused");
            assert_eq!(active.code(), Code::PermissionDenied, "{role}");
            let list = client
                .list_signing_keys(ListSigningKeysRequest {})
                .await
                .expect_err("refused");
            assert_eq!(list.code(), Code::PermissionDenied, "{role}");
        }
        // Nobody else asking created a key.
        assert!(h.role.store().signing_keys().await.expect("keys").is_empty());
        let mut assessment = signer(&h, &[ServiceRole::Assessment]);
        assert!(active_key_id(&mut assessment).await.starts_with("ed25519:"));
        h.stop().await;
    }
);

posture_kit::db_test!(
    signatures_verify_with_the_one_listed_public_key,
    |db: TestDatabase| async move {
        let h = Harness::start(db).await;
        let mut client = signer(&h, &[ServiceRole::Assessment]);
        // Replicas asking for the first key at once end with one key.
        let mut other = client.clone();
        let (a, b) = tokio::join!(active_key_id(&mut client), active_key_id(&mut other));
        assert_eq!(a, b);
        let payload = b"{\"format\": \"posture.evidence.v1\"}\n".to_vec();
        let signed = client
            .sign(SignRequest {
                payload: payload.clone(),
                key_id: a.clone(),
                purpose: "evidence manifest of a test".to_owned(),
            })
            .await
            .expect("sign")
            .into_inner();
        assert_eq!(signed.key_id, a);
        let keys = client
            .list_signing_keys(ListSigningKeysRequest {})
            .await
            .expect("list")
            .into_inner()
            .keys;
        assert_eq!(keys.len(), 1);
        assert!(keys[0].retired_at.is_none());
        let key = VerifyingKey::from_raw(&keys[0].public_key).expect("Ed25519 key");
        assert_eq!(key.key_id, a, "the key id is derived from the public key");
        assert!(key.verifies(&payload, &signed.signature));
        assert!(!key.verifies(b"another manifest", &signed.signature));
        // The private key is stored sealed: the row holds ciphertext under the vault key only.
        let stored = h.role.store().signing_keys().await.expect("keys");
        assert_eq!(stored[0].sealed.key_id.as_str(), "k1");
        assert_eq!(stored[0].public_key, keys[0].public_key);
        h.stop().await;
    }
);

posture_kit::db_test!(
    signing_refuses_a_stale_key_id_and_bad_payloads,
    |db: TestDatabase| async move {
        let h = Harness::start(db).await;
        let mut client = signer(&h, &[ServiceRole::Assessment]);
        let key_id = active_key_id(&mut client).await;
        let stale = client
            .sign(SignRequest {
                payload: b"manifest".to_vec(),
                key_id: "ed25519:00000000000000000000000000000000".to_owned(),
                purpose: String::new(),
            })
            .await
            .expect_err("stale key id");
        assert_eq!(stale.code(), Code::FailedPrecondition);
        assert!(stale.message().contains(&key_id), "{}", stale.message());
        for payload in [Vec::new(), vec![b'x'; 4 * 1024 * 1024 + 1]] {
            let refused = client
                .sign(SignRequest {
                    payload,
                    key_id: key_id.clone(),
                    purpose: String::new(),
                })
                .await
                .expect_err("bad payload");
            assert_eq!(refused.code(), Code::InvalidArgument, "{}", refused.message());
        }
        h.stop().await;
    }
);

posture_kit::db_test!(
    the_signing_key_is_rewrapped_with_the_secrets_and_signs_after_the_old_vault_key_retires,
    |db: TestDatabase| async move {
        use posture_credentials::{KeyId, KeyMaterial, Keyring, rewrap_all};
        use tokio_util::sync::CancellationToken;
        let id = |value: &str| KeyId::new(value).expect("key id");
        let ring = Keyring::new([(id("k1"), KeyMaterial::generate())], id("k1")).expect("keyring");
        let h = Harness::start_with(
            db,
            Options {
                keyring: ring.clone(),
                ..Default::default()
            },
        )
        .await;
        let key_id = active_key_id(&mut signer(&h, &[ServiceRole::Assessment])).await;
        let store = h.role.store().clone();
        let db = h.stop_and_keep_database().await;

        let mut rotated = ring;
        rotated.rotate_to(id("k2"), KeyMaterial::generate());
        let report = rewrap_all(&store, &rotated, 10, &CancellationToken::new())
            .await
            .expect("rewrap");
        assert_eq!(report.rewrapped, 1, "{report:?}");
        assert_eq!(
            store.signing_keys().await.expect("keys")[0]
                .sealed
                .key_id
                .as_str(),
            "k2"
        );
        rotated.retire(&id("k1")).expect("old key retired");
        let h = Harness::start_with(
            db,
            Options {
                keyring: rotated,
                ..Default::default()
            },
        )
        .await;
        let mut client = signer(&h, &[ServiceRole::Assessment]);
        assert_eq!(active_key_id(&mut client).await, key_id, "the same key signs on");
        let signed = client
            .sign(SignRequest {
                payload: b"after rotation".to_vec(),
                key_id: key_id.clone(),
                purpose: String::new(),
            })
            .await
            .expect("sign")
            .into_inner();
        let keys = client
            .list_signing_keys(ListSigningKeysRequest {})
            .await
            .expect("list")
            .into_inner()
            .keys;
        let key = VerifyingKey::from_raw(&keys[0].public_key).expect("key");
        assert!(key.verifies(b"after rotation", &signed.signature));
        h.stop().await;
    }
);
