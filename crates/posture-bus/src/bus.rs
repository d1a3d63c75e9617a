//! The [`Bus`] trait that services publish to and consume from, and the settings shared by its two
//! implementations ([`crate::NatsBus`] and [`crate::MemoryBus`]).

use std::time::Duration;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use crate::error::{BusError, SubjectError};
use crate::message::{Delivery, Envelope, MessageId, PublishReceipt};
use crate::subject::{Prefix, StreamKind, Subject, SubjectFilter};

const MAX_CONSUMER_NAME_LEN: usize = 64;

/// Retention settings of the streams. The defaults suit production; tests shorten them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamSettings {
    /// Publishes with a message id already seen within this window are dropped as duplicates.
    pub duplicate_window: Duration,
    /// Events older than this are discarded.
    pub events_max_age: Duration,
    /// Dead letters older than this are discarded.
    pub dead_letter_max_age: Duration,
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self {
            duplicate_window: Duration::from_secs(2 * 60),
            events_max_age: Duration::from_secs(7 * 24 * 3600),
            dead_letter_max_age: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

impl StreamSettings {
    pub(crate) fn max_age(&self, kind: StreamKind) -> Option<Duration> {
        match kind {
            StreamKind::Jobs => None,
            StreamKind::Events => Some(self.events_max_age),
            StreamKind::Dead => Some(self.dead_letter_max_age),
        }
    }

    /// NATS requires the duplicate window to fit within the stream's max age.
    pub(crate) fn duplicate_window(&self, kind: StreamKind) -> Duration {
        match self.max_age(kind) {
            Some(age) => self.duplicate_window.min(age),
            None => self.duplicate_window,
        }
    }
}

/// A durable consumer: one name, one filter subject (nats-server 2.9 allows only one per consumer).
///
/// On the jobs stream it is a work queue: each job goes to one member, and no two consumers may have
/// overlapping filters. On the events and dead-letter streams every consumer (group) sees every
/// message, and the members sharing a name share its messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerConfig {
    name: String,
    filter: SubjectFilter,
    ack_wait: Duration,
    max_deliver: u32,
}

impl ConsumerConfig {
    /// Defaults: 30 s ack wait, 5 deliveries.
    pub fn new(name: impl Into<String>, filter: SubjectFilter) -> Result<Self, BusError> {
        let name = name.into();
        let bad = |reason| BusError::InvalidConsumerName {
            name: name.escape_debug().to_string(),
            reason,
        };
        if name.is_empty() {
            return Err(bad("it is empty"));
        }
        if name.len() > MAX_CONSUMER_NAME_LEN {
            return Err(bad("it is longer than 64 bytes"));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(bad("only ASCII letters, digits, '-' and '_' are allowed"));
        }
        Ok(Self {
            name,
            filter,
            ack_wait: Duration::from_secs(30),
            max_deliver: 5,
        })
    }

    /// How long a delivery may stay unsettled (without a progress ack) before it is delivered again.
    pub fn with_ack_wait(mut self, ack_wait: Duration) -> Self {
        self.ack_wait = ack_wait;
        self
    }

    /// How many times a message is delivered at most; the last delivery should end in ack or term.
    pub fn with_max_deliver(mut self, max_deliver: u32) -> Self {
        self.max_deliver = max_deliver;
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn filter(&self) -> &SubjectFilter {
        &self.filter
    }

    pub fn ack_wait(&self) -> Duration {
        self.ack_wait
    }

    pub fn max_deliver(&self) -> u32 {
        self.max_deliver
    }

    pub(crate) fn validate(&self) -> Result<(), BusError> {
        let bad = |reason: &str| BusError::InvalidConsumerConfig {
            consumer: self.name.clone(),
            reason: reason.into(),
        };
        if self.filter.is_empty() {
            return Err(BusError::Subject(SubjectError::Empty));
        }
        if self.max_deliver == 0 {
            return Err(bad("max deliveries must be at least 1"));
        }
        if self.ack_wait < Duration::from_millis(100) {
            return Err(bad("ack wait must be at least 100 ms"));
        }
        Ok(())
    }
}

/// The bus services pass jobs and events over.
#[async_trait]
pub trait Bus: Send + Sync {
    /// The subject namespace; stream names derive from it.
    fn prefix(&self) -> &Prefix;

    /// Publishes idempotently: a message id seen within the duplicate window is reported as a
    /// duplicate and not stored again. The current span's trace context travels in the headers.
    async fn publish(&self, envelope: Envelope) -> Result<PublishReceipt, BusError>;

    /// Creates the durable consumer, or updates it if it exists (safe when many processes start at
    /// once), and returns one member of it. Every member created with the same name shares the work.
    async fn consumer(&self, config: ConsumerConfig) -> Result<Box<dyn Consumer>, BusError>;

    /// Removes the streams of this prefix with everything in them (tests and teardown).
    async fn delete_streams(&self) -> Result<(), BusError>;
}

/// One member of a durable consumer.
#[async_trait]
pub trait Consumer: Send {
    fn name(&self) -> &str;

    /// The next delivery, waiting until one arrives. Returns `None` once `cancel` fires: intake stops.
    /// Cancel-safe: dropping the future loses no message.
    async fn next(&mut self, cancel: &CancellationToken) -> Result<Option<Delivery>, BusError>;

    /// Gives back whatever was pulled but not handed out (NAK without delay), so another member takes
    /// it at once instead of after the ack wait.
    async fn close(&mut self) -> Result<(), BusError>;
}

/// Typed convenience over [`Bus`] for protobuf payloads.
#[async_trait]
pub trait BusExt: Bus {
    async fn publish_message<M>(
        &self,
        subject: Subject,
        id: MessageId,
        message: &M,
    ) -> Result<PublishReceipt, BusError>
    where
        M: prost::Message + Sync,
    {
        self.publish(Envelope::encode(subject, id, message)).await
    }
}

impl<B: Bus + ?Sized> BusExt for B {}
