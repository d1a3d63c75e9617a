//! Dead-letter records: a terminated message is written to `{prefix}.dead.{stream}.{tokens}` with its
//! original payload and headers, plus headers saying where it came from, why, and after how many tries.

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};

use crate::error::BusError;
use crate::headers::{Headers, MESSAGE_ID};
use crate::message::{Delivery, Envelope, MessageId, Settle};
use crate::subject::Subject;

const SUBJECT: &str = "Posture-Dead-Subject";
const REASON: &str = "Posture-Dead-Reason";
const DELIVERIES: &str = "Posture-Dead-Deliveries";
const CONSUMER: &str = "Posture-Dead-Consumer";
const SEQUENCE: &str = "Posture-Dead-Sequence";
const ORIGINAL_ID: &str = "Posture-Dead-Msg-Id";
const AT: &str = "Posture-Dead-At";
const OWN_PREFIX: &str = "Posture-Dead-";
/// Reasons are error messages; keep them readable in a header.
const MAX_REASON_LEN: usize = 2048;

/// A message that was given up on, with everything needed to inspect or replay it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    /// The original subject on the wire.
    pub subject: String,
    pub payload: Bytes,
    /// The original headers (including its `Nats-Msg-Id` and trace context).
    pub headers: Headers,
    pub reason: String,
    pub deliveries: u32,
    pub consumer: String,
    pub stream_sequence: u64,
    pub terminated_at: DateTime<Utc>,
}

impl DeadLetter {
    pub(crate) fn from_parts(
        subject: &str,
        payload: &Bytes,
        headers: &Headers,
        reason: &str,
        deliveries: u32,
        consumer: &str,
        stream_sequence: u64,
    ) -> Self {
        let mut reason: String = reason
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(MAX_REASON_LEN)
            .collect();
        if reason.is_empty() {
            reason.push_str("no reason given");
        }
        DeadLetter {
            subject: subject.to_owned(),
            payload: payload.clone(),
            headers: headers.clone(),
            reason,
            deliveries,
            consumer: consumer.to_owned(),
            stream_sequence,
            terminated_at: Utc::now(),
        }
    }

    /// The record as a message on the dead-letter subject of `original`. Its id names the consumer and
    /// stream sequence, so writing the same dead letter twice stores it once.
    pub(crate) fn to_envelope(&self, original: &Subject) -> Result<Envelope, BusError> {
        let id = MessageId::new(format!(
            "{}:{}:{}",
            self.consumer,
            original.kind().token(),
            self.stream_sequence
        ))?;
        let mut envelope = Envelope::new(original.dead_letter(), id, self.payload.clone());
        for (name, value) in self.headers.iter() {
            if name == MESSAGE_ID || name.starts_with(OWN_PREFIX) {
                continue;
            }
            envelope = envelope.with_header(name, value)?;
        }
        if let Some(id) = self.headers.get(MESSAGE_ID) {
            envelope = envelope.with_header(ORIGINAL_ID, id)?;
        }
        envelope
            .with_header(SUBJECT, self.subject.as_str())?
            .with_header(REASON, self.reason.as_str())?
            .with_header(DELIVERIES, self.deliveries.to_string())?
            .with_header(CONSUMER, self.consumer.as_str())?
            .with_header(SEQUENCE, self.stream_sequence.to_string())?
            .with_header(
                AT,
                self.terminated_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            )
    }

    /// Reads a dead letter received from the dead-letter stream.
    pub fn from_delivery(delivery: &Delivery) -> Result<Self, BusError> {
        let headers = delivery.headers();
        let malformed = |reason: String| BusError::MalformedDeadLetter {
            subject: delivery.wire_subject().to_owned(),
            reason,
        };
        let required = |name: &str| {
            headers
                .get(name)
                .ok_or_else(|| malformed(format!("header {name} is missing")))
        };
        let number = |name: &str| -> Result<u64, BusError> {
            required(name)?
                .parse()
                .map_err(|_| malformed(format!("header {name} is not a number")))
        };
        let deliveries =
            u32::try_from(number(DELIVERIES)?).map_err(|_| malformed("too many deliveries".into()))?;
        let terminated_at = DateTime::parse_from_rfc3339(required(AT)?)
            .map_err(|_| malformed(format!("header {AT} is not a timestamp")))?
            .with_timezone(&Utc);

        let mut original = Headers::new();
        for (name, value) in headers.iter() {
            if name == MESSAGE_ID || name.starts_with(OWN_PREFIX) {
                continue;
            }
            original.append(name, value)?;
        }
        if let Some(id) = headers.get(ORIGINAL_ID) {
            original.insert(MESSAGE_ID, id)?;
        }
        Ok(DeadLetter {
            subject: required(SUBJECT)?.to_owned(),
            payload: delivery.payload().clone(),
            headers: original,
            reason: required(REASON)?.to_owned(),
            deliveries,
            consumer: required(CONSUMER)?.to_owned(),
            stream_sequence: number(SEQUENCE)?,
            terminated_at,
        })
    }
}

// Terminating lives beside the dead letter it writes, so the message module needs nothing from here.
impl Delivery {
    /// Gives up on the message for good: writes a dead letter with `reason`, then terminates it, so
    /// nothing is dropped silently. If the dead letter cannot be written the message is left
    /// unsettled (it is delivered again, or stays in the stream) and the error is returned.
    pub async fn term(self, reason: &str) -> Result<(), BusError> {
        let letter = DeadLetter::from_parts(
            &self.wire_subject,
            &self.payload,
            &self.headers,
            reason,
            self.delivery_count,
            &self.consumer,
            self.stream_sequence,
        );
        self.acker
            .write_dead_letter(letter.to_envelope(&self.subject)?)
            .await?;
        self.acker.settle(Settle::Term).await
    }
}
