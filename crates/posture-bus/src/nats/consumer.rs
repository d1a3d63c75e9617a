//! A member of a durable JetStream pull consumer. It pulls one message per request so nothing sits
//! in a client buffer, keeps the outstanding pull across calls (cancel-safe), and on close gives back
//! whatever that pull still brings.

use std::sync::Arc;

use async_nats::jetstream::{self, AckKind, consumer::PullConsumer};
use async_trait::async_trait;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::NatsBus;
use super::advisory::Listener;
use crate::bus::{Consumer, ConsumerConfig};
use crate::error::BusError;
use crate::headers::Headers;
use crate::message::{Acknowledger, Delivery, Envelope, Settle};
use crate::subject::Subject;

pub(super) struct NatsConsumer {
    bus: NatsBus,
    consumer: PullConsumer,
    config: ConsumerConfig,
    batch: Option<jetstream::consumer::pull::Batch>,
    /// Dead-letters messages of this consumer that run out of deliveries unsettled.
    _advisories: Listener,
}

impl NatsConsumer {
    pub(super) fn new(
        bus: NatsBus,
        consumer: PullConsumer,
        config: ConsumerConfig,
        advisories: Listener,
    ) -> Self {
        Self {
            bus,
            consumer,
            config,
            batch: None,
            _advisories: advisories,
        }
    }

    fn pull_error(&self, err: impl std::fmt::Display) -> BusError {
        BusError::Pull {
            consumer: self.config.name().to_owned(),
            message: err.to_string(),
        }
    }

    /// Turns a JetStream message into a delivery; `None` (after terminating it) if it cannot be read.
    async fn to_delivery(&self, message: jetstream::Message) -> Option<Delivery> {
        let wire_subject = message.subject.to_string();
        let (stream_sequence, delivered) = match message.info() {
            Ok(info) => (info.stream_sequence, info.delivered),
            Err(err) => {
                tracing::error!(subject = %wire_subject, error = %err, "message without JetStream metadata");
                return None;
            }
        };
        let subject = match Subject::parse(&self.bus.prefix, &wire_subject) {
            Ok(subject) => subject,
            Err(err) => {
                // Only our own validated subjects are published under the prefix; anything else came
                // from outside and cannot be routed, so it is terminated loudly rather than retried.
                tracing::error!(subject = %wire_subject, error = %err, "terminating a message with an unreadable subject");
                if let Err(err) = message.double_ack_with(AckKind::Term).await {
                    tracing::error!(error = %err, "could not terminate it");
                }
                return None;
            }
        };
        let headers = message
            .headers
            .as_ref()
            .map(Headers::from_nats)
            .unwrap_or_default();
        let payload = message.payload.clone();
        let (_, acker) = message.split();
        Some(Delivery {
            subject,
            wire_subject,
            payload,
            headers,
            delivery_count: u32::try_from(delivered).unwrap_or(u32::MAX).max(1),
            max_deliver: self.config.max_deliver(),
            stream_sequence,
            consumer: self.config.name().to_owned(),
            acker: Arc::new(NatsAcker {
                bus: self.bus.clone(),
                acker,
                consumer: self.config.name().to_owned(),
                sequence: stream_sequence,
            }),
        })
    }
}

#[async_trait]
impl Consumer for NatsConsumer {
    fn name(&self) -> &str {
        self.config.name()
    }

    async fn next(&mut self, cancel: &CancellationToken) -> Result<Option<Delivery>, BusError> {
        loop {
            if cancel.is_cancelled() {
                return Ok(None);
            }
            if self.batch.is_none() {
                let batch = self
                    .consumer
                    .batch()
                    .max_messages(1)
                    .expires(self.bus.pull_expiry)
                    .messages()
                    .await
                    .map_err(|err| self.pull_error(err))?;
                self.batch = Some(batch);
            }
            let Some(batch) = self.batch.as_mut() else {
                continue;
            };
            let item = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Ok(None),
                item = batch.next() => item,
            };
            match item {
                None => self.batch = None,
                Some(Ok(message)) => {
                    if let Some(delivery) = self.to_delivery(message).await {
                        return Ok(Some(delivery));
                    }
                }
                Some(Err(err)) => {
                    self.batch = None;
                    return Err(self.pull_error(err));
                }
            }
        }
    }

    async fn close(&mut self) -> Result<(), BusError> {
        let Some(mut batch) = self.batch.take() else {
            return Ok(());
        };
        // The server may still answer the outstanding pull; hand such a message straight back.
        while let Some(item) = batch.next().await {
            if let Ok(message) = item {
                message
                    .double_ack_with(AckKind::Nak(None))
                    .await
                    .map_err(|err| self.pull_error(err))?;
            }
        }
        Ok(())
    }
}

struct NatsAcker {
    bus: NatsBus,
    acker: jetstream::message::Acker,
    consumer: String,
    sequence: u64,
}

#[async_trait]
impl Acknowledger for NatsAcker {
    async fn settle(&self, how: Settle) -> Result<(), BusError> {
        let kind = match how {
            Settle::Ack => AckKind::Ack,
            Settle::Nak(delay) => AckKind::Nak(delay),
            Settle::Progress => AckKind::Progress,
            Settle::Term => AckKind::Term,
        };
        // Wait for the server to confirm, so an ack means the message will not come back.
        self.acker
            .double_ack_with(kind)
            .await
            .map_err(|err| BusError::Acknowledge {
                action: how.verb(),
                consumer: self.consumer.clone(),
                sequence: self.sequence,
                message: err.to_string(),
            })
    }

    async fn write_dead_letter(&self, envelope: Envelope) -> Result<(), BusError> {
        self.bus.publish_with(&envelope, false).await.map(|_| ())
    }
}
