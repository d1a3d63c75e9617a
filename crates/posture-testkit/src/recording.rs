//! A bus that remembers what went over it: every subject published and every durable consumer
//! created, so a test can hold the publishers and the consumers of a running world against each
//! other.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use posture_bus::{
    Bus, BusError, Consumer, ConsumerConfig, Envelope, Prefix, PublishReceipt, Subject, SubjectFilter,
};

/// Wraps a bus; publishes and consumers pass through and are recorded.
pub struct RecordingBus {
    inner: Arc<dyn Bus>,
    published: Mutex<Vec<Subject>>,
    consumers: Mutex<Vec<(String, SubjectFilter)>>,
}

impl RecordingBus {
    pub fn new(inner: Arc<dyn Bus>) -> Self {
        Self {
            inner,
            published: Mutex::new(Vec::new()),
            consumers: Mutex::new(Vec::new()),
        }
    }

    /// Every subject published so far, in order.
    pub fn published(&self) -> Vec<Subject> {
        self.published.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Every durable consumer created so far: its name and filter, once per name.
    pub fn consumers(&self) -> Vec<(String, SubjectFilter)> {
        self.consumers.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl Bus for RecordingBus {
    fn prefix(&self) -> &Prefix {
        self.inner.prefix()
    }

    async fn publish(&self, envelope: Envelope) -> Result<PublishReceipt, BusError> {
        if let Ok(mut published) = self.published.lock() {
            published.push(envelope.subject().clone());
        }
        self.inner.publish(envelope).await
    }

    async fn consumer(&self, config: ConsumerConfig) -> Result<Box<dyn Consumer>, BusError> {
        if let Ok(mut consumers) = self.consumers.lock()
            && !consumers.iter().any(|(name, _)| name == config.name())
        {
            consumers.push((config.name().to_owned(), config.filter().clone()));
        }
        self.inner.consumer(config).await
    }

    async fn delete_streams(&self) -> Result<(), BusError> {
        self.inner.delete_streams().await
    }
}
