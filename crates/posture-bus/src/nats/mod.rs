//! The bus over NATS JetStream (works with nats-server 2.9): a work-queue stream for jobs, a
//! limits stream with max age for events, and one for dead letters, all with a duplicate window.
//! Streams and consumers are created or updated at start, idempotently.

mod advisory;
mod consumer;

use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull, stream};
use async_trait::async_trait;

use crate::bus::{Bus, Consumer, ConsumerConfig, StreamSettings};
use crate::error::BusError;
use crate::message::{Envelope, PublishReceipt};
use crate::subject::{Prefix, StreamKind};
use crate::trace;

use self::consumer::NatsConsumer;

/// How to reach NATS and what to create there.
#[derive(Clone)]
pub struct NatsBusConfig {
    /// One or more comma-separated server URLs; user info in them is never logged.
    pub url: String,
    pub prefix: Prefix,
    pub streams: StreamSettings,
    /// How long one pull request waits on the server. Shutdown waits at most this long for an
    /// outstanding pull, so that a message it brings is given back rather than left to time out.
    pub pull_expiry: Duration,
}

impl NatsBusConfig {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefix: Prefix::default(),
            streams: StreamSettings::default(),
            pull_expiry: Duration::from_secs(2),
        }
    }
}

impl std::fmt::Debug for NatsBusConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsBusConfig")
            .field("url", &redacted_url(&self.url))
            .field("prefix", &self.prefix)
            .field("streams", &self.streams)
            .field("pull_expiry", &self.pull_expiry)
            .finish()
    }
}

/// The URLs without user info (`user:password@` or a token), for errors and Debug output.
fn redacted_url(urls: &str) -> String {
    let redact = |url: &str| match url.rfind('@') {
        Some(at) => {
            let scheme_end = url.find("://").map(|i| i + 3).filter(|&i| i <= at).unwrap_or(0);
            format!("{}[redacted]@{}", &url[..scheme_end], &url[at + 1..])
        }
        None => url.to_owned(),
    };
    urls.split(',')
        .map(|u| redact(u.trim()))
        .collect::<Vec<_>>()
        .join(",")
}

/// The bus over JetStream. Cheap to clone.
#[derive(Clone)]
pub struct NatsBus {
    js: jetstream::Context,
    prefix: Prefix,
    pull_expiry: Duration,
}

impl std::fmt::Debug for NatsBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsBus")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl NatsBus {
    /// Connects and makes sure the streams exist with the configured settings.
    pub async fn connect(config: NatsBusConfig) -> Result<Self, BusError> {
        let client = async_nats::ConnectOptions::new()
            .name(format!("posture-bus:{}", config.prefix))
            .connect(config.url.as_str())
            .await
            .map_err(|err| BusError::Connect {
                url: redacted_url(&config.url),
                message: err.to_string(),
            })?;
        Self::with_client(client, config.prefix, &config.streams, config.pull_expiry).await
    }

    /// Uses an existing connection (shared with other parts of the process).
    pub async fn with_client(
        client: async_nats::Client,
        prefix: Prefix,
        streams: &StreamSettings,
        pull_expiry: Duration,
    ) -> Result<Self, BusError> {
        let bus = Self {
            js: jetstream::new(client),
            prefix,
            pull_expiry,
        };
        for kind in StreamKind::ALL {
            bus.ensure_stream(kind, streams).await?;
        }
        Ok(bus)
    }

    async fn ensure_stream(&self, kind: StreamKind, settings: &StreamSettings) -> Result<(), BusError> {
        let name = self.prefix.stream_name(kind);
        let config = stream::Config {
            name: name.clone(),
            subjects: vec![self.prefix.stream_subjects(kind)],
            retention: match kind {
                StreamKind::Jobs => stream::RetentionPolicy::WorkQueue,
                StreamKind::Events | StreamKind::Dead => stream::RetentionPolicy::Limits,
            },
            max_age: settings.max_age(kind).unwrap_or_default(),
            duplicate_window: settings.duplicate_window(kind),
            storage: stream::StorageType::File,
            discard: stream::DiscardPolicy::Old,
            ..Default::default()
        };
        // Update first, create when missing; a concurrent creator with the same settings is fine,
        // because creating a stream that exists with identical settings succeeds.
        self.js
            .create_or_update_stream(config)
            .await
            .map_err(|err| BusError::Stream {
                stream: name,
                message: err.to_string(),
            })?;
        Ok(())
    }

    /// Publishes without adding trace context (dead letters keep the original one).
    pub(crate) async fn publish_with(
        &self,
        envelope: &Envelope,
        inject_trace: bool,
    ) -> Result<PublishReceipt, BusError> {
        let subject = envelope.subject().render(&self.prefix);
        let mut headers = envelope.wire_headers().to_nats()?;
        if inject_trace {
            trace::inject_current(&mut trace::NatsHeadersInjector(&mut headers));
        }
        let failed = |err: &dyn std::fmt::Display| BusError::Publish {
            subject: subject.clone(),
            message: err.to_string(),
        };
        let ack = self
            .js
            .publish_with_headers(subject.clone(), headers, envelope.payload().clone())
            .await
            .map_err(|e| failed(&e))?
            .await
            .map_err(|e| failed(&e))?;
        Ok(PublishReceipt {
            stream: ack.stream,
            sequence: ack.sequence,
            duplicate: ack.duplicate,
        })
    }
}

#[async_trait]
impl Bus for NatsBus {
    fn prefix(&self) -> &Prefix {
        &self.prefix
    }

    async fn publish(&self, envelope: Envelope) -> Result<PublishReceipt, BusError> {
        self.publish_with(&envelope, true).await
    }

    async fn consumer(&self, config: ConsumerConfig) -> Result<Box<dyn Consumer>, BusError> {
        config.validate()?;
        let kind = config.filter().kind();
        let failed = |message: String| BusError::Consumer {
            consumer: config.name().to_owned(),
            message,
        };
        let stream = self
            .js
            .get_stream(self.prefix.stream_name(kind))
            .await
            .map_err(|err| failed(err.to_string()))?;
        let pull_config = pull::Config {
            durable_name: Some(config.name().to_owned()),
            filter_subject: config.filter().render(&self.prefix)?,
            ack_policy: jetstream::consumer::AckPolicy::Explicit,
            deliver_policy: jetstream::consumer::DeliverPolicy::All,
            ack_wait: config.ack_wait(),
            max_deliver: i64::from(config.max_deliver()),
            ..Default::default()
        };
        // Create-or-update: repeated starts with the same settings are no-ops.
        let consumer = stream
            .create_consumer(pull_config)
            .await
            .map_err(|err| failed(err.to_string()))?;
        let listener = advisory::listen(self.clone(), kind, config.name().to_owned()).await?;
        Ok(Box::new(NatsConsumer::new(
            self.clone(),
            consumer,
            config,
            listener,
        )))
    }

    async fn delete_streams(&self) -> Result<(), BusError> {
        for kind in StreamKind::ALL {
            let name = self.prefix.stream_name(kind);
            if let Err(err) = self.js.delete_stream(&name).await
                && !matches!(err.kind(), jetstream::context::DeleteStreamErrorKind::JetStream(ref js) if js.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND)
            {
                return Err(BusError::Stream {
                    stream: name,
                    message: err.to_string(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_nats_urls_never_reach_debug_output() {
        let config =
            NatsBusConfig::new("nats://svc:hunter2@nats-0:4222, tls://tok3n@nats-1:4222,nats://plain:4222");
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("tok3n") && !shown.contains("svc"),
            "{shown}"
        );
        assert!(
            shown.contains("nats://[redacted]@nats-0:4222,tls://[redacted]@nats-1:4222,nats://plain:4222"),
            "{shown}"
        );
    }
}
