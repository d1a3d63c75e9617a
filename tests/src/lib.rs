//! Harness for the end-to-end suites: starts Posture as real processes of the `posture` binary —
//! all roles in one process (standalone: SQLite, in-process bus) or one process per role
//! (distributed: PostgreSQL, NATS JetStream) — next to an in-process simulator, and hands tests
//! authenticated gRPC clients to the public gateway. Every scenario runs against both modes.

pub mod client;
pub mod deployment;

pub use client::{GatewayClients, authed};
pub use deployment::{Deployment, Mode};
