//! What goes over the bus: an outgoing [`Envelope`] (subject, message id, protobuf bytes, headers)
//! and a received [`Delivery`] that must be settled with ack, NAK, progress or term.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use crate::error::BusError;
use crate::headers::{Headers, MESSAGE_ID};
use crate::subject::Subject;

const MAX_MESSAGE_ID_LEN: usize = 256;

/// The id that makes a publish idempotent (`Nats-Msg-Id`): a second publish with the same id within
/// the duplicate window is dropped. Use ids from the domain, e.g. `{run}.{entity}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MessageId(String);

impl MessageId {
    pub fn new(id: impl Into<String>) -> Result<Self, BusError> {
        let id = id.into();
        let bad = |reason| BusError::InvalidMessageId {
            id: id.escape_debug().to_string(),
            reason,
        };
        if id.is_empty() {
            return Err(bad("it is empty"));
        }
        if id.len() > MAX_MESSAGE_ID_LEN {
            return Err(bad("it is longer than 256 bytes"));
        }
        if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("it contains whitespace or control characters"));
        }
        Ok(Self(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A message to publish.
#[derive(Clone, Debug)]
pub struct Envelope {
    subject: Subject,
    message_id: MessageId,
    payload: Bytes,
    headers: Headers,
}

impl Envelope {
    pub fn new(subject: Subject, message_id: MessageId, payload: impl Into<Bytes>) -> Self {
        Self {
            subject,
            message_id,
            payload: payload.into(),
            headers: Headers::new(),
        }
    }

    /// An envelope whose payload is the protobuf encoding of `message`.
    pub fn encode<M: prost::Message>(subject: Subject, message_id: MessageId, message: &M) -> Self {
        Self::new(subject, message_id, message.encode_to_vec())
    }

    pub fn with_header(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, BusError> {
        let name = name.into();
        if name == MESSAGE_ID {
            return Err(BusError::InvalidHeader {
                name,
                reason: "the message id is set by the envelope",
            });
        }
        self.headers.insert(name, value)?;
        Ok(self)
    }

    pub fn subject(&self) -> &Subject {
        &self.subject
    }

    pub fn message_id(&self) -> &MessageId {
        &self.message_id
    }

    pub fn payload(&self) -> &Bytes {
        &self.payload
    }

    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// Headers as sent: the caller's headers plus `Nats-Msg-Id`.
    pub(crate) fn wire_headers(&self) -> Headers {
        let mut headers = self.headers.clone();
        // The id was validated by MessageId, so it is a valid header value.
        let _ = headers.insert(MESSAGE_ID, self.message_id.as_str());
        headers
    }
}

/// What the stream said about a publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishReceipt {
    pub stream: String,
    pub sequence: u64,
    /// The message id was seen within the duplicate window; the message was not stored again.
    pub duplicate: bool,
}

/// How a delivery is settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Settle {
    Ack,
    Nak(Option<Duration>),
    Progress,
    Term,
}

impl Settle {
    pub(crate) fn verb(self) -> &'static str {
        match self {
            Settle::Ack => "ack",
            Settle::Nak(_) => "nak",
            Settle::Progress => "progress-ack",
            Settle::Term => "terminate",
        }
    }
}

/// The implementation side of a delivery: settles it and writes dead letters.
#[async_trait]
pub(crate) trait Acknowledger: Send + Sync {
    async fn settle(&self, how: Settle) -> Result<(), BusError>;
    async fn write_dead_letter(&self, envelope: Envelope) -> Result<(), BusError>;
}

/// A received message. Settle it once with [`ack`](Delivery::ack), [`nak`](Delivery::nak) or
/// [`term`](Delivery::term); if it is dropped unsettled, it is delivered again after the ack wait.
pub struct Delivery {
    pub(crate) subject: Subject,
    pub(crate) wire_subject: String,
    pub(crate) payload: Bytes,
    pub(crate) headers: Headers,
    pub(crate) delivery_count: u32,
    pub(crate) max_deliver: u32,
    pub(crate) stream_sequence: u64,
    pub(crate) consumer: String,
    pub(crate) acker: Arc<dyn Acknowledger>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("subject", &self.wire_subject)
            .field("consumer", &self.consumer)
            .field("stream_sequence", &self.stream_sequence)
            .field("delivery_count", &self.delivery_count)
            .field("payload_len", &self.payload.len())
            .finish_non_exhaustive()
    }
}

impl Delivery {
    pub fn subject(&self) -> &Subject {
        &self.subject
    }

    /// The subject as it appears on the wire, with the prefix.
    pub fn wire_subject(&self) -> &str {
        &self.wire_subject
    }

    pub fn payload(&self) -> &Bytes {
        &self.payload
    }

    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    pub fn message_id(&self) -> Option<&str> {
        self.headers.get(MESSAGE_ID)
    }

    /// 1 on the first delivery, counting up with each redelivery.
    pub fn delivery_count(&self) -> u32 {
        self.delivery_count
    }

    pub fn max_deliver(&self) -> u32 {
        self.max_deliver
    }

    /// No redelivery follows this one: a NAK now would leave the message parked, so terminate instead.
    pub fn is_last_delivery(&self) -> bool {
        self.delivery_count >= self.max_deliver
    }

    pub fn stream_sequence(&self) -> u64 {
        self.stream_sequence
    }

    pub fn consumer(&self) -> &str {
        &self.consumer
    }

    /// The payload decoded as protobuf message `M`.
    pub fn decode<M: prost::Message + Default>(&self) -> Result<M, BusError> {
        M::decode(self.payload.clone()).map_err(|source| BusError::Decode {
            subject: self.wire_subject.clone(),
            source,
        })
    }

    /// The work is done and durable: the message is not delivered again.
    pub async fn ack(self) -> Result<(), BusError> {
        self.acker.settle(Settle::Ack).await
    }

    /// Not now: deliver again after `delay` (immediately with `None`).
    pub async fn nak(self, delay: Option<Duration>) -> Result<(), BusError> {
        self.acker.settle(Settle::Nak(delay)).await
    }

    /// Still working: restarts the ack wait so a long job is not handed to another worker.
    pub async fn in_progress(&self) -> Result<(), BusError> {
        self.acker.settle(Settle::Progress).await
    }
}
