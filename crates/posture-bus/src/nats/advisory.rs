//! Dead letters for messages that ran out of deliveries without being settled (a worker crashed or
//! hung on the last try). JetStream then stops delivering them and publishes a max-deliveries
//! advisory; each consumer member listens for its consumer's advisories and writes the dead letter.

use async_nats::jetstream::stream::Stream;
use futures::StreamExt;
use serde::Deserialize;

use super::NatsBus;
use crate::dead_letter::DeadLetter;
use crate::error::BusError;
use crate::headers::Headers;
use crate::subject::{StreamKind, Subject};

const REASON: &str = "max deliveries reached without an acknowledgement";

#[derive(Deserialize)]
struct MaxDeliveries {
    stream_seq: u64,
    deliveries: u32,
}

/// Aborts the listener when the consumer member that started it is dropped.
pub(super) struct Listener(tokio::task::AbortHandle);

impl Drop for Listener {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Subscribes before returning, so advisories after this call are not missed.
pub(super) async fn listen(bus: NatsBus, kind: StreamKind, consumer: String) -> Result<Listener, BusError> {
    let stream_name = bus.prefix.stream_name(kind);
    let subject = format!("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{stream_name}.{consumer}");
    let failed = |message: String| BusError::Consumer {
        consumer: consumer.clone(),
        message,
    };
    let mut advisories = bus
        .js
        .client()
        .subscribe(subject)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let stream = bus
        .js
        .get_stream_no_info(&stream_name)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let task = tokio::spawn(async move {
        while let Some(message) = advisories.next().await {
            let advisory: MaxDeliveries = match serde_json::from_slice(&message.payload) {
                Ok(advisory) => advisory,
                Err(err) => {
                    tracing::warn!(consumer = %consumer, error = %err, "unreadable max-deliveries advisory");
                    continue;
                }
            };
            if let Err(err) = dead_letter(&bus, &stream, kind, &consumer, &advisory).await {
                tracing::error!(
                    consumer = %consumer,
                    sequence = advisory.stream_seq,
                    error = %err,
                    "could not dead-letter a message that ran out of deliveries"
                );
            }
        }
    });
    Ok(Listener(task.abort_handle()))
}

async fn dead_letter(
    bus: &NatsBus,
    stream: &Stream<()>,
    kind: StreamKind,
    consumer: &str,
    advisory: &MaxDeliveries,
) -> Result<(), BusError> {
    let sequence = advisory.stream_seq;
    let failed = |message: String| BusError::Stream {
        stream: bus.prefix.stream_name(kind),
        message,
    };
    // Every member hears the advisory; the first one to act removes the job, so the rest find nothing.
    let message = match stream.get_raw_message(sequence).await {
        Ok(message) => message,
        Err(err) => {
            tracing::debug!(sequence, error = %err, "message already gone; another member dead-lettered it");
            return Ok(());
        }
    };
    let wire_subject = message.subject.to_string();
    let subject = Subject::parse(&bus.prefix, &wire_subject)?;
    let headers = Headers::from_nats(&message.headers);
    tracing::warn!(consumer, subject = %wire_subject, deliveries = advisory.deliveries, "{REASON}; writing a dead letter");
    let letter = DeadLetter::from_parts(
        &wire_subject,
        &message.payload,
        &headers,
        REASON,
        advisory.deliveries,
        consumer,
        sequence,
    );
    // The dead letter's id is derived from consumer and sequence, so duplicates from other members are dropped.
    bus.publish_with(&letter.to_envelope(&subject)?, false).await?;
    if kind == StreamKind::Jobs {
        // JetStream keeps an exhausted job in the work queue forever; it now lives in the dead letters.
        stream
            .delete_message(sequence)
            .await
            .map_err(|e| failed(e.to_string()))?;
    }
    Ok(())
}
