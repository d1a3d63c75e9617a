//! Shared platform pieces of every Posture role: configuration, telemetry, shutdown, the mapping of
//! domain errors to gRPC status, typed ids, the clock, the gRPC server builder, database setup and
//! the deterministic archives that backups and evidence bundles are written in.

pub mod archive;
pub mod clock;
pub mod config;
pub mod config_fields;
pub mod db;
pub mod error;
pub mod evidence;
pub mod grpc;
pub mod ids;
pub mod paging;
pub mod service;
pub mod shutdown;
pub mod telemetry;
pub mod time;
pub mod tls;
pub mod trace_context;

pub use config::PostureConfig;
pub use error::ServiceError;
pub use service::ServiceRole;
