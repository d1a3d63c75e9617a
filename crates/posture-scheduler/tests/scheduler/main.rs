//! Integration suite of the scheduler role: firing against PostgreSQL and SQLite, sync requests
//! that survive a failed publish on both buses, the lease over NATS KV on the real server, and
//! ScheduleService over real gRPC.

mod announce;
mod api;
mod firing;
mod lease;
mod roles;
mod store;
mod support;
