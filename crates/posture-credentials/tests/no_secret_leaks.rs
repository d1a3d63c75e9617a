//! Secrets never leak: not in a public response, an error message, a log line (captured at TRACE
//! from every crate, the server's and the database driver's included) or the Debug output of the
//! requests and the vault's response that carry them.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use common::*;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1::{GetConnectionRequest, ListConnectionsRequest};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One process-wide subscriber writing everything into a buffer (tests of this file may share a
/// process; each only looks for secrets, which no test may log).
fn captured_logs() -> Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
        captured
    })
    .clone()
}

fn assert_clean(what: &str, text: &str) {
    for secret in [SECRET, OTHER_SECRET] {
        assert!(!text.contains(secret), "{what} contains a secret: {text}");
    }
}

posture_kit::db_test!(
    no_response_error_message_or_log_line_contains_the_secret,
    |db: TestDatabase| async move {
        let logs = captured_logs();
        let mut h = Harness::start(db).await;
        let request = create_request(TENANT_A, SECRET);
        assert_clean("Debug of CreateConnectionRequest", &format!("{request:?}"));
        let created = h
            .connections
            .create_connection(request.clone())
            .await
            .expect("create");
        assert_clean("CreateConnectionResponse", &format!("{:?}", created.get_ref()));
        let duplicate = h
            .connections
            .create_connection(request)
            .await
            .expect_err("duplicate");
        assert_clean("duplicate error", duplicate.message());

        let rotate =
            update_credentials_request(TENANT_A, OTHER_SECRET, start_time() + chrono::Duration::days(30));
        assert_clean("Debug of UpdateCredentialsRequest", &format!("{rotate:?}"));
        let rotated = h.connections.update_credentials(rotate).await.expect("rotate");
        assert_clean("UpdateCredentialsResponse", &format!("{:?}", rotated.get_ref()));

        let mut oversized = create_request(TENANT_B, &format!("{SECRET}{}", "x".repeat(2000)));
        oversized.display_name = "Oversized".into();
        let refused = h
            .connections
            .create_connection(oversized)
            .await
            .expect_err("too long");
        assert_clean("validation error", refused.message());

        let got = h
            .connections
            .get_connection(GetConnectionRequest {
                tenant_id: TENANT_A.into(),
            })
            .await
            .expect("get");
        assert_clean("GetConnectionResponse", &format!("{:?}", got.get_ref()));
        let listed = h
            .connections
            .list_connections(ListConnectionsRequest::default())
            .await
            .expect("list");
        assert_clean("ListConnectionsResponse", &format!("{:?}", listed.get_ref()));

        // The vault hands the secret out (that is its job) but its Debug output stays redacted.
        let secret = h
            .vault
            .get_connection_secret(vault_request(TENANT_A))
            .await
            .expect("vault")
            .into_inner();
        assert_clean("Debug of GetConnectionSecretResponse", &format!("{secret:?}"));
        assert!(format!("{secret:?}").contains("[redacted]"));

        h.stop().await;
        let text = String::from_utf8_lossy(&logs.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
        assert!(
            text.contains("tenant connected"),
            "the capture sees the role's logs"
        );
        assert!(text.contains("connection secret handed out"));
        assert_clean("the logs", &text);
    }
);
