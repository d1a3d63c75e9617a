//! HTTP plumbing: listener, routing, responses and bearer-token checks.

pub mod auth;
pub mod reply;
pub mod route;
pub mod server;
