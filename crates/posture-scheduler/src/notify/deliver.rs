//! Sending deliveries: at least once, with the same webhook-id on every attempt and a fresh
//! timestamp and signature each time, exponential backoff with jitter between attempts, and a
//! dead letter (kept with its last error) after the last attempt or a 410 Gone. Any number of
//! scheduler replicas may send: each attempt is claimed first by moving the delivery's next
//! attempt time with a compare-and-swap, so two replicas never send the same attempt.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use posture_kit::clock::SharedClock;
use posture_proto::v1::DeliveryState;
use rand::Rng;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::signing::SigningSecret;
use super::store::{AttemptOutcome, DeliveryRecord, NotificationStore};
use super::target;
use crate::store::StoreError;

/// Most characters of an error kept in the log (the receiver's words, shortened).
const MAX_ERROR_LEN: usize = 300;

/// Where signing secrets come from: the vault's WebhookSecretService in every deployment.
#[async_trait]
pub trait WebhookSecrets: Send + Sync + 'static {
    /// Stores a new subscription's secret.
    async fn put(&self, subscription_id: Uuid, secret: &str) -> Result<(), SecretError>;
    /// The secret to sign a subscription's deliveries with.
    async fn get(&self, subscription_id: Uuid) -> Result<SigningSecret, SecretError>;
    /// Removes a subscription's secret.
    async fn delete(&self, subscription_id: Uuid) -> Result<(), SecretError>;
}

/// Why a secret could not be used; never carries the secret.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the signing secret of subscription {subscription_id} is not available: {reason}")]
pub struct SecretError {
    pub subscription_id: Uuid,
    pub reason: String,
    /// NOT_FOUND from the vault: the subscription was removed meanwhile.
    pub missing: bool,
}

/// How deliveries are sent and retried.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// Attempts before a delivery is dead-lettered (at least 1).
    pub max_attempts: u32,
    /// The wait after the first failed attempt; doubled after each further one.
    pub backoff_base: Duration,
    /// The longest wait between attempts.
    pub backoff_max: Duration,
    /// The whole request, connect to last byte.
    pub timeout: Duration,
    /// How long a claimed attempt keeps other senders away (longer than `timeout`).
    pub claim: Duration,
    /// How often due deliveries are looked for when nothing wakes the sender.
    pub poll: Duration,
    /// Deliveries looked at per pass, and sent concurrently at most `concurrency` at a time.
    pub batch: u32,
    pub concurrency: usize,
    /// Whether `http://` to loopback hosts is allowed (local receivers, tests).
    pub allow_http_loopback: bool,
    /// How often credential expiry is checked for SECRET_EXPIRING.
    pub expiry_check: Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(3600),
            timeout: Duration::from_secs(10),
            claim: Duration::from_secs(60),
            poll: Duration::from_secs(2),
            batch: 100,
            concurrency: 8,
            allow_http_loopback: false,
            expiry_check: Duration::from_secs(3600),
        }
    }
}

impl DeliverySettings {
    /// The wait after `attempts` failed attempts: base × 2^(attempts − 1), capped, plus up to a
    /// tenth more of jitter so a receiver coming back is not hit by every retry at once.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let exponent = attempts.saturating_sub(1).min(20);
        let wait = self
            .backoff_base
            .saturating_mul(1u32 << exponent)
            .min(self.backoff_max);
        let jitter = wait.mul_f64(rand::thread_rng().gen_range(0.0..0.1));
        wait + jitter
    }
}

/// Sends due deliveries; cheap to clone.
#[derive(Clone)]
pub struct Sender {
    pub(crate) store: NotificationStore,
    pub(crate) secrets: Arc<dyn WebhookSecrets>,
    http: reqwest::Client,
    clock: SharedClock,
    pub(crate) settings: DeliverySettings,
    wake: Arc<Notify>,
}

fn shorten(text: &str) -> String {
    text.chars().take(MAX_ERROR_LEN).collect()
}

/// The HTTP client for webhooks: no redirects (the validated URL is the one called), the
/// timeout, and rustls with the process's crypto provider.
fn http_client(settings: &DeliverySettings) -> Result<reqwest::Client, reqwest::Error> {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
        .timeout(settings.timeout)
        .user_agent(concat!("posture-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

impl Sender {
    pub fn new(
        store: NotificationStore,
        secrets: Arc<dyn WebhookSecrets>,
        clock: SharedClock,
        settings: DeliverySettings,
    ) -> Result<Self, reqwest::Error> {
        Ok(Self {
            http: http_client(&settings)?,
            store,
            secrets,
            clock,
            settings,
            wake: Arc::new(Notify::new()),
        })
    }

    pub(crate) fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Asks the loop to look for due deliveries now (a new one was stored).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Sends due deliveries until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            if let Err(error) = self.send_due().await {
                tracing::warn!(%error, "sending due notifications failed; retrying");
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.settings.poll) => {}
            }
        }
    }

    /// One pass: claims and attempts every due delivery (up to the batch); returns how many
    /// attempts were made.
    pub async fn send_due(&self) -> Result<usize, StoreError> {
        let due = self.store.due(self.clock.now(), self.settings.batch).await?;
        let made = futures::stream::iter(due)
            .map(|record| async move {
                match self.claim_and_attempt(record).await {
                    Ok(made) => made,
                    Err(error) => {
                        tracing::warn!(%error, "a notification attempt could not be recorded");
                        false
                    }
                }
            })
            .buffer_unordered(self.settings.concurrency.max(1))
            .filter(|made| futures::future::ready(*made))
            .count()
            .await;
        Ok(made)
    }

    /// Claims `record` and makes one attempt; false when another sender claimed it first.
    pub async fn claim_and_attempt(&self, record: DeliveryRecord) -> Result<bool, StoreError> {
        let until = self.clock.now()
            + chrono::Duration::from_std(self.settings.claim).unwrap_or(chrono::Duration::seconds(60));
        if !self.store.claim(&record, until).await? {
            return Ok(false);
        }
        let outcome = self.attempt(&record).await;
        self.store.record_attempt(&record.delivery_id, &outcome).await?;
        Ok(true)
    }

    /// One signed POST of the stored body and what it means for the delivery.
    async fn attempt(&self, record: &DeliveryRecord) -> AttemptOutcome {
        let attempts = record.attempts.saturating_add(1);
        let result = self.post(record).await;
        let now = self.clock.now();
        match result {
            Ok(status) if (200..300).contains(&status) => AttemptOutcome {
                state: DeliveryState::Delivered,
                attempts,
                last_error: String::new(),
                last_status: u32::from(status),
                next_attempt_at: now,
                delivered_at: Some(now),
            },
            other => {
                let (last_status, error, give_up) = match other {
                    // 410 Gone: the receiver says the endpoint is gone for good.
                    Ok(status) => (
                        u32::from(status),
                        format!("the receiver answered HTTP {status}"),
                        status == 410,
                    ),
                    Err(failure) => (0, failure.reason, failure.permanent),
                };
                let dead = give_up || attempts >= self.settings.max_attempts.max(1);
                if dead {
                    tracing::warn!(delivery_id = %record.delivery_id, subscription_id = %record.subscription_id, attempts, error = %error, "notification dead-lettered");
                } else {
                    tracing::info!(delivery_id = %record.delivery_id, attempts, error = %error, "notification attempt failed; retrying");
                }
                let wait = chrono::Duration::from_std(self.settings.backoff(attempts))
                    .unwrap_or(chrono::Duration::hours(1));
                AttemptOutcome {
                    state: if dead {
                        DeliveryState::Dead
                    } else {
                        DeliveryState::Pending
                    },
                    attempts,
                    last_error: shorten(&error),
                    last_status,
                    next_attempt_at: if dead { now } else { now + wait },
                    delivered_at: None,
                }
            }
        }
    }

    async fn post(&self, record: &DeliveryRecord) -> Result<u16, AttemptFailure> {
        let subscription = self
            .store
            .subscription(record.subscription_id)
            .await
            .map_err(|e| AttemptFailure::transient(format!("reading the subscription: {e}")))?
            .ok_or_else(|| AttemptFailure::permanent("the subscription was removed"))?;
        let url = target::validate(&subscription.url, self.settings.allow_http_loopback)
            .map_err(|e| AttemptFailure::permanent(format!("the subscription's URL {e}")))?;
        let secret = self
            .secrets
            .get(record.subscription_id)
            .await
            .map_err(|e| AttemptFailure {
                permanent: e.missing,
                reason: e.to_string(),
            })?;
        let timestamp = self.clock.now().timestamp();
        let signature = secret.sign(&record.delivery_id, timestamp, record.body.as_bytes());
        let response = self
            .http
            .post(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &record.delivery_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(record.body.clone())
            .send()
            .await
            // Without the URL: Slack and Teams URLs carry their token in the path.
            .map_err(|e| AttemptFailure::transient(describe(&e)))?;
        Ok(response.status().as_u16())
    }
}

/// A transport failure in words that leave out the URL.
fn describe(error: &reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "the request timed out"
    } else if error.is_connect() {
        "the receiver could not be reached"
    } else {
        "the request failed"
    };
    let mut detail = String::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        detail = cause.to_string();
        source = cause.source();
    }
    if detail.is_empty() {
        what.to_owned()
    } else {
        format!("{what}: {detail}")
    }
}

struct AttemptFailure {
    permanent: bool,
    reason: String,
}

impl AttemptFailure {
    fn transient(reason: impl Into<String>) -> Self {
        Self {
            permanent: false,
            reason: reason.into(),
        }
    }

    fn permanent(reason: impl Into<String>) -> Self {
        Self {
            permanent: true,
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_cap_with_bounded_jitter() {
        let settings = DeliverySettings {
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(60),
            ..DeliverySettings::default()
        };
        for (attempts, expected) in [(1, 5), (2, 10), (3, 20), (4, 40), (5, 60), (30, 60)] {
            let wait = settings.backoff(attempts);
            let expected = Duration::from_secs(expected);
            assert!(
                wait >= expected && wait <= expected.mul_f64(1.1),
                "{attempts}: {wait:?}"
            );
        }
    }
}
