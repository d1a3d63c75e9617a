//! In-process worlds for tests, composed as `posture standalone` composes its roles: the simulator
//! (real HTTP), the credentials and tokens roles, and, when a test asks for them, the sync and
//! assessment roles, on one loopback gRPC server with one database and one bus. The service
//! crates' suites and the end-to-end harness build their worlds here instead of each wiring roles.
//! [`browser`] opens rendered pages in headless Chromium to check their layout.

pub mod browser;
mod bus;
mod connection;
pub mod moto;
mod recording;
mod world;

pub use bus::{Backing, memory_bus, nats_bus, nats_url};
pub use connection::{connection_request, endpoints, secret_credential};
pub use recording::RecordingBus;
pub use world::{PATIENCE, SyncProcess, World, WorldBuilder, wait_for_run};
