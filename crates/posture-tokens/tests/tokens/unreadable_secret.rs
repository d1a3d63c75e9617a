//! A stored secret that no longer decrypts (here its ciphertext is altered in the credentials
//! role's database, as someone with write access to the table could) is not a passing outage: the
//! real credentials and tokens roles answer FAILED_PRECONDITION saying to replace the credential,
//! the connection turns Authentication Error with the whole cause, and the change is announced.

use std::time::{Duration, Instant};

use posture_kit::db::Db;
use posture_proto::internal::v1::token_broker_service_client::TokenBrokerServiceClient;
use posture_proto::internal::v1::{GetTokenRequest, InvalidateTokensRequest};
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use posture_proto::v1::{
    ApiResource, ConnectionHealth, ConnectionState, ErrorClass, GetConnectionRequest, TestConnectionRequest,
};
use tonic::Code;

use crate::common::health_announcements;
use crate::real_credentials::{RealRoles, as_admin, real_roles_with_a_connection};

async fn health(
    connections: &mut TenantConnectionServiceClient<tonic::transport::Channel>,
    tenant_id: &str,
) -> Option<ConnectionHealth> {
    connections
        .get_connection(as_admin(GetConnectionRequest {
            tenant_id: tenant_id.to_owned(),
        }))
        .await
        .expect("connection")
        .into_inner()
        .connection
        .and_then(|c| c.health)
}

/// What an operator reads must say the secret does not decrypt and what to do, and hold nothing
/// of the secret or the stored bytes.
fn assert_says_what_to_do(message: &str, secret: &str) {
    assert!(message.contains("cannot be decrypted"), "{message}");
    assert!(message.contains("UpdateCredentials"), "{message}");
    assert!(!message.contains(secret), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_that_no_longer_decrypts_fails_without_retry_and_turns_the_connection_to_authentication_error()
 {
    let RealRoles {
        tenant,
        tenant_id,
        internal,
        bus,
        credentials,
        shutdown,
        mut watcher,
        mut connections,
        // Bound so they live as long as the test: dropping them would stop the simulator and
        // remove the database under the roles.
        sim: _sim,
        database: _database,
    } = real_roles_with_a_connection().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while health(&mut connections, &tenant_id).await.map(|h| h.state)
        != Some(ConnectionState::Connected as i32)
    {
        assert!(Instant::now() < deadline, "the connection never became CONNECTED");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The ciphertext is altered in storage (format byte kept, the rest garbage).
    let mut garbage = vec![1u8];
    garbage.extend([0x5a; 47]);
    let Db::Sqlite(pool) = credentials.store().db() else {
        panic!("the test database is SQLite");
    };
    sqlx::query("UPDATE sealed_secrets SET ciphertext = $1 WHERE tenant_id = $2")
        .bind(garbage)
        .bind(tenant_id.clone())
        .execute(pool)
        .await
        .expect("ciphertext altered");

    // Tokens cached from the creation test would hide the broken row; drop them.
    let mut broker = TokenBrokerServiceClient::new(internal.clone());
    broker
        .invalidate_tokens(InvalidateTokensRequest {
            tenant_id: tenant_id.clone(),
        })
        .await
        .expect("tokens dropped");
    let refused = broker
        .get_token(GetTokenRequest {
            tenant_id: tenant_id.clone(),
            resource: ApiResource::Graph as i32,
            min_valid_seconds: 0,
        })
        .await
        .expect_err("no token from a secret that does not decrypt");
    assert_eq!(refused.code(), Code::FailedPrecondition, "{}", refused.message());
    assert_says_what_to_do(refused.message(), tenant.client_secret.expose());

    let tested = connections
        .test_connection(as_admin(TestConnectionRequest {
            tenant_id: tenant_id.clone(),
        }))
        .await
        .expect_err("the test cannot run");
    assert_eq!(tested.code(), Code::FailedPrecondition, "{}", tested.message());
    assert_says_what_to_do(tested.message(), tenant.client_secret.expose());

    let shown = health(&mut connections, &tenant_id).await.expect("health");
    assert_eq!(shown.state, ConnectionState::AuthenticationError as i32);
    let reason = shown.reason.expect("a reason");
    assert_eq!(reason.error_class, ErrorClass::Authentication as i32);
    assert_eq!(reason.code, "StoredCredentialUnreadable");
    assert!(
        reason
            .message
            .starts_with("the stored client secret cannot be decrypted: it was sealed for another connection or has been altered"),
        "{}",
        reason.message
    );
    assert!(reason.message.contains("vault key 'k1'"), "{}", reason.message);
    assert_says_what_to_do(&reason.message, tenant.client_secret.expose());

    // The change from Connected is announced once, by the credentials role, through its outbox.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut announced = Vec::new();
    while !announced
        .iter()
        .any(|e: &posture_proto::events::v1::ConnectionHealthChanged| {
            e.health.as_ref().map(|h| h.state) == Some(ConnectionState::AuthenticationError as i32)
        })
    {
        assert!(
            Instant::now() < deadline,
            "no announcement of the error: {announced:#?}"
        );
        announced.extend(health_announcements(watcher.as_mut(), bus.as_ref(), &tenant).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let errors: Vec<_> = announced
        .iter()
        .filter(|e| e.previous_state == ConnectionState::Connected as i32)
        .collect();
    assert_eq!(errors.len(), 1, "{announced:#?}");
    shutdown.cancel();
}
