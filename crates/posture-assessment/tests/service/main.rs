//! Integration tests of the assessment role: the real sync role fills the inventory from the
//! simulator, the assessment role reads it over gRPC, on PostgreSQL and SQLite, MemoryBus and NATS.

mod announce;
mod api;
mod browser;
mod controls;
mod drift;
mod events;
mod exceptions;
mod nats;
mod observed;
mod pipeline;
mod report;
mod scores;
mod settings;
mod takeover;
mod world;
