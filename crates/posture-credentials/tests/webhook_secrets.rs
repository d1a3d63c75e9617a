//! The internal WebhookSecretService over a real mutual-TLS socket against PostgreSQL and SQLite:
//! only the scheduler role stores and reads webhook signing secrets, they are stored sealed (no
//! plaintext in the row), a sealed secret moved to another subscription does not open, and bad
//! requests are refused with the right code.

mod common;

use common::*;
use posture_kit::ServiceRole;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::internal::v1::webhook_secret_service_client::WebhookSecretServiceClient;
use posture_proto::internal::v1::{
    DeleteWebhookSecretRequest, GetWebhookSecretRequest, PutWebhookSecretRequest,
};
use tonic::Code;
use uuid::Uuid;

const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_WEBHOOK_SECRET: &str = "whsec_c2Vjb25kLXdlYmhvb2stc2VjcmV0LWtleS0xMjM0NQ==";

fn put(id: Uuid, secret: &str) -> PutWebhookSecretRequest {
    PutWebhookSecretRequest {
        subscription_id: id.to_string(),
        secret: secret.to_owned(),
    }
}

fn get(id: Uuid) -> GetWebhookSecretRequest {
    GetWebhookSecretRequest {
        subscription_id: id.to_string(),
    }
}

posture_kit::db_test!(
    only_the_scheduler_stores_and_reads_webhook_secrets_sealed_per_subscription,
    |db: TestDatabase| async move {
        let h = Harness::start(db).await;
        let mut scheduler = WebhookSecretServiceClient::new(h.channel_as(&[ServiceRole::Scheduler]));
        let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
        scheduler
            .put_webhook_secret(put(first, WEBHOOK_SECRET))
            .await
            .expect("put");
        scheduler
            .put_webhook_secret(put(second, OTHER_WEBHOOK_SECRET))
            .await
            .expect("put");
        let read = scheduler
            .get_webhook_secret(get(first))
            .await
            .expect("get")
            .into_inner();
        assert_eq!(read.secret, WEBHOOK_SECRET);

        // Sealed: the row holds no plaintext.
        let store = h.role.store().clone();
        let sealed = store.webhook_secret(first).await.expect("read").expect("row");
        assert!(
            !sealed
                .ciphertext
                .windows(WEBHOOK_SECRET.len())
                .any(|w| w == WEBHOOK_SECRET.as_bytes())
        );

        // Every other role is refused, whatever it asks for.
        for role in [
            ServiceRole::Tokens,
            ServiceRole::Sync,
            ServiceRole::Assessment,
            ServiceRole::Gateway,
        ] {
            let mut other = WebhookSecretServiceClient::new(h.channel_as(&[role]));
            let refused = other.get_webhook_secret(get(first)).await.expect_err("refused");
            assert_eq!(refused.code(), Code::PermissionDenied, "{role}");
            let refused = other
                .put_webhook_secret(put(first, OTHER_WEBHOOK_SECRET))
                .await
                .expect_err("refused");
            assert_eq!(refused.code(), Code::PermissionDenied, "{role}");
        }
        let still = scheduler
            .get_webhook_secret(get(first))
            .await
            .expect("get")
            .into_inner();
        assert_eq!(still.secret, WEBHOOK_SECRET);

        // A sealed secret copied onto another subscription's row does not open there.
        store.put_webhook_secret(second, &sealed).await.expect("copy");
        let moved = scheduler
            .get_webhook_secret(get(second))
            .await
            .expect_err("moved");
        assert_eq!(moved.code(), Code::FailedPrecondition, "{}", moved.message());
        assert!(!moved.message().contains(WEBHOOK_SECRET));

        // Removed is gone; removing again is fine.
        for _ in 0..2 {
            scheduler
                .delete_webhook_secret(DeleteWebhookSecretRequest {
                    subscription_id: first.to_string(),
                })
                .await
                .expect("delete");
        }
        let gone = scheduler.get_webhook_secret(get(first)).await.expect_err("gone");
        assert_eq!(gone.code(), Code::NotFound);
        h.stop().await;
    }
);

posture_kit::db_test!(
    malformed_webhook_secret_requests_are_invalid_arguments,
    |db: TestDatabase| async move {
        let h = Harness::start(db).await;
        let mut scheduler = WebhookSecretServiceClient::new(h.channel_as(&[ServiceRole::Scheduler]));
        let bad_id = scheduler
            .get_webhook_secret(GetWebhookSecretRequest {
                subscription_id: "not-a-uuid".into(),
            })
            .await
            .expect_err("bad id");
        assert_eq!(bad_id.code(), Code::InvalidArgument);
        for secret in ["plain-text", &format!("whsec_{}", "A".repeat(200))] {
            let refused = scheduler
                .put_webhook_secret(put(Uuid::new_v4(), secret))
                .await
                .expect_err("bad secret");
            assert_eq!(refused.code(), Code::InvalidArgument);
            assert!(!refused.message().contains(secret));
        }
        h.stop().await;
    }
);

posture_kit::db_test!(
    webhook_secrets_are_rewrapped_and_open_after_the_old_vault_key_retires,
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
        let subscription = Uuid::new_v4();
        WebhookSecretServiceClient::new(h.channel_as(&[ServiceRole::Scheduler]))
            .put_webhook_secret(put(subscription, WEBHOOK_SECRET))
            .await
            .expect("put");
        let store = h.role.store().clone();
        let db = h.stop_and_keep_database().await;

        let mut rotated = ring;
        rotated.rotate_to(id("k2"), KeyMaterial::generate());
        let report = rewrap_all(&store, &rotated, 10, &CancellationToken::new())
            .await
            .expect("rewrap");
        assert_eq!(report.failed, 0, "{report:?}");
        let sealed = store
            .webhook_secret(subscription)
            .await
            .expect("read")
            .expect("row");
        assert_eq!(sealed.key_id.as_str(), "k2");
        rotated.retire(&id("k1")).expect("old key retired");
        let h = Harness::start_with(
            db,
            Options {
                keyring: rotated,
                ..Default::default()
            },
        )
        .await;
        let read = WebhookSecretServiceClient::new(h.channel_as(&[ServiceRole::Scheduler]))
            .get_webhook_secret(get(subscription))
            .await
            .expect("opens under the new key")
            .into_inner();
        assert_eq!(read.secret, WEBHOOK_SECRET);
        h.stop().await;
    }
);
