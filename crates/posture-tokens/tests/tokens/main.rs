//! Integration tests of the tokens role against the simulator (real HTTP), a VaultService double
//! served over real gRPC, and, where coordination across processes matters, a real NATS server.

mod cache;
mod common;
mod connection_test;
mod coordinator;
mod invalidation;
mod logs;
mod real_credentials;
mod replicas;
mod unreadable_secret;
mod vault_double;
