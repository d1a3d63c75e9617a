//! Integration tests of the sync role: the store on PostgreSQL and SQLite, and whole runs
//! against the simulator through real credentials and token broker roles.

mod announce;
mod api;
mod apps_kinds;
mod audit;
mod audit_api;
mod backup;
mod changes;
mod config_kinds;
mod crash;
mod defender_kinds;
mod exchange_kinds;
mod failures;
mod ground_truth;
mod groups;
mod metrics;
mod nats;
mod pim_kinds;
mod sign_in;
mod signal_kinds;
mod store;
mod tokens;
mod world;
