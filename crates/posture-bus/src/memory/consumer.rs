//! A member of an in-process durable consumer: waits for due messages and settles them in the shared
//! state, writing dead letters to the in-process dead-letter stream.

use std::sync::Arc;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::Shared;
use super::state::Poll;
use crate::bus::{Consumer, ConsumerConfig};
use crate::error::BusError;
use crate::message::{Acknowledger, Delivery, Envelope, Settle};
use crate::subject::StreamKind;

pub(super) struct MemoryConsumer {
    shared: Arc<Shared>,
    key: (StreamKind, String),
}

impl MemoryConsumer {
    pub(super) fn new(shared: Arc<Shared>, config: ConsumerConfig) -> Self {
        Self {
            shared,
            key: (config.filter().kind(), config.name().to_owned()),
        }
    }

    fn poll(&self) -> Poll {
        let (poll, exhausted) = self.shared.lock().poll(&self.shared.prefix, &self.key);
        for (subject, letter) in exhausted {
            tracing::warn!(
                consumer = %self.key.1,
                subject = %letter.subject,
                deliveries = letter.deliveries,
                "message ran out of deliveries unsettled; writing a dead letter"
            );
            match letter.to_envelope(&subject) {
                Ok(envelope) => {
                    let headers = envelope.wire_headers();
                    self.shared.publish(&envelope, headers);
                }
                Err(err) => tracing::error!(error = %err, "could not build the dead letter"),
            }
        }
        poll
    }
}

#[async_trait]
impl Consumer for MemoryConsumer {
    fn name(&self) -> &str {
        &self.key.1
    }

    async fn next(&mut self, cancel: &CancellationToken) -> Result<Option<Delivery>, BusError> {
        loop {
            if cancel.is_cancelled() {
                return Ok(None);
            }
            // Register for wake-ups before looking, so a publish in between is not missed.
            let changed = self.shared.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let due = match self.poll() {
                Poll::Ready(ready) => {
                    let acker = MemoryAcker {
                        shared: self.shared.clone(),
                        key: self.key.clone(),
                        sequence: ready.sequence,
                    };
                    return Ok(Some(Delivery {
                        wire_subject: ready.subject.render(&self.shared.prefix),
                        subject: ready.subject,
                        payload: ready.payload,
                        headers: ready.headers,
                        delivery_count: ready.deliveries,
                        max_deliver: ready.max_deliver,
                        stream_sequence: ready.sequence,
                        consumer: self.key.1.clone(),
                        acker: Arc::new(acker),
                    }));
                }
                Poll::Wait(due) => due,
            };
            let sleep = async {
                match due {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = cancel.cancelled() => return Ok(None),
                _ = &mut changed => {}
                _ = sleep => {}
            }
        }
    }

    async fn close(&mut self) -> Result<(), BusError> {
        // Nothing is pulled ahead in-process.
        Ok(())
    }
}

struct MemoryAcker {
    shared: Arc<Shared>,
    key: (StreamKind, String),
    sequence: u64,
}

#[async_trait]
impl Acknowledger for MemoryAcker {
    async fn settle(&self, how: Settle) -> Result<(), BusError> {
        self.shared.lock().settle(&self.key, self.sequence, how);
        if matches!(how, Settle::Nak(_)) {
            self.shared.changed.notify_waiters();
        }
        Ok(())
    }

    async fn write_dead_letter(&self, envelope: Envelope) -> Result<(), BusError> {
        let headers = envelope.wire_headers();
        self.shared.publish(&envelope, headers);
        Ok(())
    }
}
