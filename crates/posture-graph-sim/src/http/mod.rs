//! HTTP plumbing: listener, routing, responses and bearer-token checks. Handlers use
//! `exchange`, `reply` and `auth`; only `route` knows the handlers.

pub mod auth;
pub mod exchange;
pub mod reply;
pub mod route;
pub mod server;
