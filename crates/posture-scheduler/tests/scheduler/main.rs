//! Integration suite of the scheduler role: firing against PostgreSQL and SQLite, sync requests
//! that survive a failed publish on both buses, the lease over NATS KV on the real server, and
//! ScheduleService over real gRPC; webhook deliveries to a real HTTP receiver, retried with
//! backoff and dead-lettered, on both engines.

mod announce;
mod api;
mod firing;
mod lease;
mod notify;
mod roles;
mod store;
mod support;
