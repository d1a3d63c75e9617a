//! Secrets and tokens never reach the logs, whatever happens: issued, cached, refused, tested.

use std::io::Write;
use std::sync::{Arc, Mutex};

use posture_graph::Resource;
use posture_graph_sim::TenantSpec;
use posture_proto::internal::v1::TestConnectionRequest;
use tracing_subscriber::fmt::MakeWriter;

use crate::common::World;
use crate::vault_double::StoredConnection;

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

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

// Single-threaded, so every task (broker, servers, simulator) logs through this test's subscriber.
#[tokio::test(flavor = "current_thread")]
async fn no_token_or_secret_appears_in_the_logs() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_env_filter("debug,posture_tokens=trace,posture_graph=trace,posture_kit=trace,posture_bus=trace,h2=info,hyper=info,hyper_util=info,tower=info")
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let world = World::new().await;
    let tenant = world.tenant(TenantSpec::default());
    let wrong = world.tenant(TenantSpec {
        seed: 5,
        ..TenantSpec::default()
    });
    world.vault.put(
        &wrong.tenant_id.to_string(),
        StoredConnection {
            client_id: wrong.client_id.to_string(),
            secret: "wrong-secret-7f3a9c".into(),
            version: 1,
            base_url: world.sim.base_url(),
        },
    );
    let broker = world.standalone().await;

    let mut tokens = Vec::new();
    for resource in Resource::ALL {
        tokens.push(
            broker
                .get_token(&tenant, resource)
                .await
                .expect("token")
                .access_token,
        );
    }
    tokens.push(
        broker
            .get_token(&tenant, Resource::Graph)
            .await
            .expect("cached")
            .access_token,
    );
    assert!(broker.get_token(&wrong, Resource::Graph).await.is_err());
    for t in [&tenant, &wrong] {
        broker
            .client()
            .test_connection(TestConnectionRequest {
                tenant_id: t.tenant_id.to_string(),
            })
            .await
            .expect("tested");
    }

    let text = String::from_utf8_lossy(&captured.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
    assert!(text.contains("access token issued"), "logs were not captured");
    assert!(
        text.contains("AADSTS7000215"),
        "the refusal is logged with its code"
    );
    let secrets = [
        tenant.client_secret.expose(),
        wrong.client_secret.expose(),
        "wrong-secret-7f3a9c",
    ];
    for secret in secrets {
        assert!(!text.contains(secret), "a client secret reached the logs");
    }
    for token in &tokens {
        // Any slice of the signature or payload would be a leak; check the distinctive parts.
        for part in token.split('.').filter(|p| p.len() > 16) {
            assert!(!text.contains(part), "a token part reached the logs");
        }
    }
}
