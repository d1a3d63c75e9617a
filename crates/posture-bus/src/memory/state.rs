//! The in-process streams and consumer cursors behind one mutex: what is stored, what each durable
//! consumer has delivered, and when each unsettled delivery becomes due again.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use crate::bus::{ConsumerConfig, StreamSettings};
use crate::dead_letter::DeadLetter;
use crate::error::BusError;
use crate::headers::Headers;
use crate::message::{Envelope, PublishReceipt, Settle};
use crate::subject::{Prefix, StreamKind, Subject, SubjectFilter};

pub(super) struct State {
    settings: StreamSettings,
    streams: HashMap<StreamKind, Stream>,
    consumers: HashMap<(StreamKind, String), ConsumerState>,
}

#[derive(Default)]
struct Stream {
    last_sequence: u64,
    messages: BTreeMap<u64, Stored>,
    /// Message id → (first publish, its sequence), within the duplicate window.
    dedup: HashMap<String, (Instant, u64)>,
    /// Message ids in publish order, to expire them from `dedup` cheaply.
    dedup_order: VecDeque<(Instant, String)>,
}

struct Stored {
    subject: Subject,
    payload: Bytes,
    headers: Headers,
    stored_at: Instant,
}

struct ConsumerState {
    filter: SubjectFilter,
    ack_wait: Duration,
    max_deliver: u32,
    /// The lowest stream sequence never delivered to this consumer.
    next_sequence: u64,
    /// Delivered but not settled: sequence → (deliveries so far, when it is due again).
    pending: BTreeMap<u64, Pending>,
}

struct Pending {
    deliveries: u32,
    due: Instant,
}

/// A message handed to a consumer member.
pub(super) struct Ready {
    pub subject: Subject,
    pub payload: Bytes,
    pub headers: Headers,
    pub sequence: u64,
    pub deliveries: u32,
    pub max_deliver: u32,
}

pub(super) enum Poll {
    Ready(Ready),
    /// Nothing to deliver; something may become due at the given time.
    Wait(Option<Instant>),
}

impl State {
    pub(super) fn new(settings: StreamSettings) -> Self {
        Self {
            settings,
            streams: HashMap::new(),
            consumers: HashMap::new(),
        }
    }

    pub(super) fn clear(&mut self) {
        self.streams.clear();
        self.consumers.clear();
    }

    pub(super) fn publish(
        &mut self,
        prefix: &Prefix,
        envelope: &Envelope,
        headers: Headers,
    ) -> PublishReceipt {
        let kind = envelope.subject().kind();
        let now = Instant::now();
        let window = self.settings.duplicate_window(kind);
        let max_age = self.settings.max_age(kind);
        let stream = self.streams.entry(kind).or_default();
        stream.expire(now, window, max_age);
        let stream_name = prefix.stream_name(kind);
        let id = envelope.message_id().as_str();
        if stream.dedup.contains_key(id) {
            return PublishReceipt {
                stream: stream_name,
                sequence: stream.last_sequence,
                duplicate: true,
            };
        }
        stream.last_sequence += 1;
        let sequence = stream.last_sequence;
        stream.dedup.insert(id.to_owned(), (now, sequence));
        stream.dedup_order.push_back((now, id.to_owned()));
        stream.messages.insert(
            sequence,
            Stored {
                subject: envelope.subject().clone(),
                payload: envelope.payload().clone(),
                headers,
                stored_at: now,
            },
        );
        PublishReceipt {
            stream: stream_name,
            sequence,
            duplicate: false,
        }
    }

    /// Creates the consumer or updates its settings, keeping its position (as JetStream does).
    pub(super) fn upsert_consumer(&mut self, config: &ConsumerConfig) -> Result<(), BusError> {
        let kind = config.filter().kind();
        if kind == StreamKind::Jobs {
            // A work queue hands each job to exactly one consumer, so filters may not overlap.
            let clash = self.consumers.iter().find(|((k, name), c)| {
                *k == kind && name != config.name() && c.filter.overlaps(config.filter())
            });
            if let Some(((_, existing), _)) = clash {
                return Err(BusError::OverlappingConsumer {
                    consumer: config.name().to_owned(),
                    existing: existing.clone(),
                });
            }
        }
        let consumer = self
            .consumers
            .entry((kind, config.name().to_owned()))
            .or_insert_with(|| ConsumerState {
                filter: config.filter().clone(),
                ack_wait: config.ack_wait(),
                max_deliver: config.max_deliver(),
                next_sequence: 1,
                pending: BTreeMap::new(),
            });
        consumer.filter = config.filter().clone();
        consumer.ack_wait = config.ack_wait();
        consumer.max_deliver = config.max_deliver();
        Ok(())
    }

    /// Hands out the next due redelivery or new message for `consumer`. Messages whose deliveries ran
    /// out without a settlement are written as dead letters (returned), so nothing vanishes silently.
    pub(super) fn poll(
        &mut self,
        prefix: &Prefix,
        key: &(StreamKind, String),
    ) -> (Poll, Vec<(Subject, DeadLetter)>) {
        let now = Instant::now();
        let mut exhausted = Vec::new();
        let kind = key.0;
        let max_age = self.settings.max_age(kind);
        let window = self.settings.duplicate_window(kind);
        let (Some(consumer), stream) = (self.consumers.get_mut(key), self.streams.entry(kind).or_default())
        else {
            // Deleted together with its streams.
            return (Poll::Wait(None), exhausted);
        };
        stream.expire(now, window, max_age);

        let mut ready = None;
        let due: Vec<u64> = consumer
            .pending
            .iter()
            .filter(|(_, p)| p.due <= now)
            .map(|(s, _)| *s)
            .collect();
        for sequence in due {
            let Some(stored) = stream.messages.get(&sequence) else {
                consumer.pending.remove(&sequence);
                continue;
            };
            let Some(pending) = consumer.pending.get_mut(&sequence) else {
                continue;
            };
            if pending.deliveries >= consumer.max_deliver {
                let deliveries = pending.deliveries;
                consumer.pending.remove(&sequence);
                let letter = DeadLetter::from_parts(
                    &stored.subject.render(prefix),
                    &stored.payload,
                    &stored.headers,
                    "max deliveries reached without an acknowledgement",
                    deliveries,
                    &key.1,
                    sequence,
                );
                exhausted.push((stored.subject.clone(), letter));
                if kind == StreamKind::Jobs {
                    stream.messages.remove(&sequence);
                }
                continue;
            }
            pending.deliveries += 1;
            pending.due = now + consumer.ack_wait;
            ready = Some((sequence, pending.deliveries));
            break;
        }
        if ready.is_none() {
            let from = consumer
                .next_sequence
                .max(stream.messages.keys().next().copied().unwrap_or(0));
            let found = stream
                .messages
                .range(from..)
                .find(|(_, m)| consumer.filter.matches(&m.subject))
                .map(|(s, _)| *s);
            match found {
                Some(sequence) => {
                    consumer.next_sequence = sequence + 1;
                    consumer.pending.insert(
                        sequence,
                        Pending {
                            deliveries: 1,
                            due: now + consumer.ack_wait,
                        },
                    );
                    ready = Some((sequence, 1));
                }
                None => consumer.next_sequence = stream.last_sequence + 1,
            }
        }
        let poll = match ready
            .and_then(|(seq, deliveries)| stream.messages.get(&seq).map(|m| (seq, deliveries, m)))
        {
            Some((sequence, deliveries, stored)) => Poll::Ready(Ready {
                subject: stored.subject.clone(),
                payload: stored.payload.clone(),
                headers: stored.headers.clone(),
                sequence,
                deliveries,
                max_deliver: consumer.max_deliver,
            }),
            None => Poll::Wait(consumer.pending.values().map(|p| p.due).min()),
        };
        (poll, exhausted)
    }

    /// Applies an ack, NAK, progress ack or term from a member of `consumer`. Settling a message that
    /// is no longer pending (already settled, or its stream deleted) does nothing, as in JetStream.
    pub(super) fn settle(&mut self, key: &(StreamKind, String), sequence: u64, how: Settle) {
        let now = Instant::now();
        let Some(consumer) = self.consumers.get_mut(key) else {
            return;
        };
        let Some(pending) = consumer.pending.get_mut(&sequence) else {
            return;
        };
        match how {
            Settle::Nak(delay) => pending.due = now + delay.unwrap_or_default(),
            Settle::Progress => pending.due = now + consumer.ack_wait,
            Settle::Ack | Settle::Term => {
                consumer.pending.remove(&sequence);
                // In a work queue a settled job leaves the stream.
                if key.0 == StreamKind::Jobs
                    && let Some(stream) = self.streams.get_mut(&key.0)
                {
                    stream.messages.remove(&sequence);
                }
            }
        }
    }
}

impl Stream {
    fn expire(&mut self, now: Instant, window: Duration, max_age: Option<Duration>) {
        while let Some((at, id)) = self.dedup_order.front() {
            if now.duration_since(*at) < window {
                break;
            }
            if self.dedup.get(id).is_some_and(|(first, _)| first == at) {
                self.dedup.remove(id);
            }
            self.dedup_order.pop_front();
        }
        if let Some(max_age) = max_age {
            while let Some(entry) = self.messages.first_entry() {
                if now.duration_since(entry.get().stored_at) < max_age {
                    break;
                }
                entry.remove();
            }
        }
    }
}
