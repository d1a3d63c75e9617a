//! A transactional outbox, for state changes that must be announced at least once. The event is
//! staged in the same database transaction as the change ([`StageMessage`]), so it exists exactly
//! when the change does; the [`Outbox`] relay publishes staged events in order and deletes each
//! after the bus accepted it. A crash or a bus outage only delays an event: it stays staged until
//! a publish succeeds. Every event keeps its message id, so a publish repeated after a crash
//! between publish and delete is dropped by the bus's duplicate window, and consumers are
//! idempotent beyond it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use posture_kit::db::{Db, Migration};
use posture_kit::on_backend;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::bus::Bus;
use crate::headers::Headers;
use crate::message::{Envelope, MessageId};
use crate::subject::{StreamKind, Subject};
use crate::trace;

/// Events published per relay pass at most; the next pass follows at once while more are staged.
const BATCH: i64 = 100;
/// How often the relay looks for staged events when no commit woke it (another replica's commit,
/// or a publish that failed).
const POLL: Duration = Duration::from_secs(1);
/// Longest pause after failed publishes.
const MAX_BACKOFF: Duration = Duration::from_secs(15);

const TABLE_POSTGRES: &str = "
CREATE TABLE outbox (
    seq BIGSERIAL PRIMARY KEY,
    message_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload BYTEA NOT NULL,
    traceparent TEXT NOT NULL
);
";

const TABLE_SQLITE: &str = "
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload BLOB NOT NULL,
    traceparent TEXT NOT NULL
);
";

/// The migration that adds a service's outbox table, at `version` of that service's list.
pub const fn migration(version: i64) -> Migration {
    Migration::per_engine(
        version,
        "outbox of events to announce",
        TABLE_POSTGRES,
        TABLE_SQLITE,
    )
}

/// An event to stage: where it goes, its message id and its encoded payload.
#[derive(Debug, Clone)]
pub struct OutboxMessage {
    subject: Subject,
    message_id: MessageId,
    payload: Vec<u8>,
    traceparent: String,
}

impl OutboxMessage {
    /// The event `message` for `subject`, with the current span as its trace parent.
    pub fn new<M: prost::Message>(subject: Subject, message_id: MessageId, message: &M) -> Self {
        let mut headers = Headers::new();
        trace::inject_current(&mut trace::HeadersInjector(&mut headers));
        Self {
            subject,
            message_id,
            payload: message.encode_to_vec(),
            traceparent: headers.get("traceparent").unwrap_or_default().to_owned(),
        }
    }

    fn subject_text(&self) -> String {
        let mut text = self.subject.kind().token().to_owned();
        for token in self.subject.tokens() {
            text.push('.');
            text.push_str(token);
        }
        text
    }
}

/// Stages an event on a connection inside the transaction that makes the change it announces.
pub trait StageMessage {
    fn stage(&mut self, message: &OutboxMessage) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
}

const INSERT: &str = "INSERT INTO outbox (message_id, subject, payload, traceparent) VALUES ($1, $2, $3, $4)";

/// The same statement on either engine's connection.
macro_rules! stage_on {
    ($connection:ty) => {
        impl StageMessage for $connection {
            fn stage(
                &mut self,
                message: &OutboxMessage,
            ) -> impl Future<Output = Result<(), sqlx::Error>> + Send {
                let subject = message.subject_text();
                async move {
                    sqlx::query(INSERT)
                        .bind(message.message_id.as_str())
                        .bind(subject)
                        .bind(&message.payload)
                        .bind(&message.traceparent)
                        .execute(self)
                        .await
                        .map(|_| ())
                }
            }
        }
    };
}

stage_on!(sqlx::PgConnection);
stage_on!(sqlx::SqliteConnection);

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("reading or clearing the outbox failed: {0}")]
    Store(#[from] sqlx::Error),
    #[error("publishing staged event {message_id} failed: {source}")]
    Publish {
        message_id: String,
        #[source]
        source: crate::error::BusError,
    },
}

type Row = (i64, String, String, Vec<u8>, String);

/// The relay of one service's outbox. Cheap to clone; clones share the wake-up signal.
#[derive(Clone)]
pub struct Outbox {
    db: Db,
    bus: Arc<dyn Bus>,
    wake: Arc<Notify>,
}

impl Outbox {
    pub fn new(db: Db, bus: Arc<dyn Bus>) -> Self {
        Self {
            db,
            bus,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Tells the relay that a transaction staging events committed, so it publishes them now
    /// rather than at its next poll.
    pub fn notify(&self) {
        self.wake.notify_one();
    }

    /// Publishes every staged event, oldest first, deleting each once the bus accepted it; stops
    /// at the first failure so events keep their order. Returns how many were published.
    pub async fn relay(&self) -> Result<usize, OutboxError> {
        let mut published = 0;
        loop {
            let rows: Vec<Row> = on_backend!(&self.db, |pool| {
                sqlx::query_as(
                    "SELECT seq, message_id, subject, payload, traceparent FROM outbox ORDER BY seq LIMIT $1",
                )
                .bind(BATCH)
                .fetch_all(pool)
                .await
            })?;
            let full = rows.len() as i64 == BATCH;
            for (seq, message_id, subject, payload, traceparent) in rows {
                match envelope(&message_id, &subject, payload) {
                    Some(envelope) => {
                        let span = tracing::info_span!("outbox relay", message_id = %message_id);
                        if !traceparent.is_empty()
                            && let Ok(headers) = Headers::new().with("traceparent", traceparent)
                        {
                            trace::set_parent_from(&span, &headers);
                        }
                        self.bus
                            .publish(envelope)
                            .instrument(span)
                            .await
                            .map_err(|source| OutboxError::Publish {
                                message_id: message_id.clone(),
                                source,
                            })?;
                        published += 1;
                    }
                    // Written by this module, so never seen; kept out of the way rather than
                    // blocking every later event.
                    None => tracing::error!(seq, message_id, subject, "unreadable outbox row dropped"),
                }
                on_backend!(&self.db, |pool| {
                    sqlx::query("DELETE FROM outbox WHERE seq = $1")
                        .bind(seq)
                        .execute(pool)
                        .await
                        .map(|_| ())
                })?;
            }
            if !full {
                return Ok(published);
            }
        }
    }

    /// Runs the relay until `shutdown`: after every wake-up and at least every second, with
    /// backoff while publishing fails. A last pass runs at shutdown.
    pub fn spawn(&self, shutdown: CancellationToken, tasks: &TaskTracker) {
        let outbox = self.clone();
        tasks.spawn(async move {
            let mut backoff = POLL;
            loop {
                match outbox.relay().await {
                    Ok(_) => backoff = POLL,
                    Err(error) => {
                        tracing::warn!(%error, retry_in = ?backoff, "outbox relay pass failed; events stay staged");
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                }
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = outbox.wake.notified() => {}
                    () = tokio::time::sleep(backoff) => {}
                }
            }
            if let Err(error) = outbox.relay().await {
                tracing::warn!(%error, "outbox relay at shutdown failed; events stay staged for the next start");
            }
        });
    }
}

fn envelope(message_id: &str, subject: &str, payload: Vec<u8>) -> Option<Envelope> {
    let mut parts = subject.split('.');
    let kind = parts.next().and_then(StreamKind::from_token)?;
    let subject = Subject::new(kind, parts).ok()?;
    let id = MessageId::new(message_id).ok()?;
    Some(Envelope::new(subject, id, payload))
}
