//! Integration suite of the scheduler role: firing against PostgreSQL and SQLite, the lease over
//! NATS KV on the real server, and ScheduleService over real gRPC.

mod api;
mod firing;
mod lease;
mod roles;
mod store;
mod support;
