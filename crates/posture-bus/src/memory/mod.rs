//! The in-process bus for standalone mode: the same guarantees as JetStream within one process (work
//! queue, redelivery after the ack wait or a NAK delay, max deliveries with dead letters, dedup by
//! message id, fan-out of events to every durable group, progress acks).

mod consumer;
mod state;

use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use tokio::sync::Notify;

use crate::bus::{Bus, Consumer, ConsumerConfig, StreamSettings};
use crate::error::BusError;
use crate::message::{Envelope, PublishReceipt};
use crate::subject::Prefix;
use crate::trace;

use self::consumer::MemoryConsumer;
use self::state::State;

/// In-process bus. Clones share the same streams and consumers.
#[derive(Clone)]
pub struct MemoryBus {
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    prefix: Prefix,
    state: Mutex<State>,
    /// Woken on every change a waiting consumer might care about (publish, NAK, settle).
    changed: Notify,
}

impl Shared {
    /// The state stays consistent at every await-free step, so a panic elsewhere cannot corrupt it.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn publish(&self, envelope: &Envelope, headers: crate::headers::Headers) -> PublishReceipt {
        let receipt = self.lock().publish(&self.prefix, envelope, headers);
        if !receipt.duplicate {
            self.changed.notify_waiters();
        }
        receipt
    }
}

impl MemoryBus {
    pub fn new(prefix: Prefix, settings: StreamSettings) -> Self {
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State::new(settings)),
                prefix,
                changed: Notify::new(),
            }),
        }
    }
}

impl Default for MemoryBus {
    fn default() -> Self {
        Self::new(Prefix::default(), StreamSettings::default())
    }
}

impl std::fmt::Debug for MemoryBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryBus")
            .field("prefix", &self.shared.prefix)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Bus for MemoryBus {
    fn prefix(&self) -> &Prefix {
        &self.shared.prefix
    }

    async fn publish(&self, envelope: Envelope) -> Result<PublishReceipt, BusError> {
        let mut headers = envelope.wire_headers();
        trace::inject_current(&mut trace::HeadersInjector(&mut headers));
        Ok(self.shared.publish(&envelope, headers))
    }

    async fn consumer(&self, config: ConsumerConfig) -> Result<Box<dyn Consumer>, BusError> {
        config.validate()?;
        self.shared.lock().upsert_consumer(&config)?;
        Ok(Box::new(MemoryConsumer::new(self.shared.clone(), config)))
    }

    async fn delete_streams(&self) -> Result<(), BusError> {
        self.shared.lock().clear();
        self.shared.changed.notify_waiters();
        Ok(())
    }
}
