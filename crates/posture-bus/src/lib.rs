//! The bus Posture's services pass jobs and events over: subjects that carry the entity kind and the
//! tenant, idempotent publish, durable consumers with retry middleware and dead letters, W3C trace
//! context in headers. [`NatsBus`] runs over JetStream, [`MemoryBus`] in-process; both pass one contract suite.
//! The subjects the roles share are defined once in [`topics`]; state changes that must be
//! announced go through the transactional [`outbox`].

mod bus;
mod dead_letter;
mod error;
mod headers;
pub mod kv;
mod memory;
mod message;
mod nats;
pub mod outbox;
mod purge;
mod retry;
mod subject;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod topics;
pub mod trace;
mod workers;

pub use bus::{Bus, BusExt, Consumer, ConsumerConfig, StreamSettings};
pub use dead_letter::DeadLetter;
pub use error::{BusError, SubjectError};
pub use headers::{Headers, MESSAGE_ID};
pub use memory::MemoryBus;
pub use message::{Delivery, Envelope, MessageId, PublishReceipt};
pub use nats::{NatsBus, NatsBusConfig};
pub use outbox::{Outbox, OutboxError, OutboxMessage, StageMessage};
pub use purge::spawn_tenant_purge;
pub use retry::{Handler, HandlerError, RetryPolicy, RunReport, run_consumer};
pub use subject::{Prefix, StreamKind, Subject, SubjectBuilder, SubjectFilter, validate_token};
pub use workers::spawn_workers;
