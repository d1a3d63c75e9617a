//! Harness for the end-to-end suites: starts Posture as real processes of the `posture` binary —
//! all roles in one process (standalone: SQLite, in-process bus) or one process per role through
//! the local stack scripts (distributed: PostgreSQL, NATS JetStream) — next to an in-process
//! simulator, and hands tests authenticated gRPC clients to the public gateway. Every scenario
//! runs against both modes.

pub mod client;
pub mod deployment;
pub mod scenario;
mod stack;
mod standalone;

pub use client::{Gateway, GatewayClients, authed};
pub use deployment::{Deployment, Mode, Signal, posture_binary};
pub use stack::Launcher;

/// Runs one async scenario `fn(Mode) -> anyhow::Result<()>` in both modes: expands to a module
/// with the tests `standalone` and `distributed`.
#[macro_export]
macro_rules! both_modes {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread")]
            async fn standalone() -> anyhow::Result<()> {
                super::$body($crate::Mode::Standalone).await
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn distributed() -> anyhow::Result<()> {
                super::$body($crate::Mode::Distributed).await
            }
        }
    };
}
