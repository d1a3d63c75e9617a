//! A bus for tests of "change state, then announce" paths: it wraps a real bus and fails the
//! first publishes to the subjects it is told to, as a broker outage would.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;

use crate::bus::{Bus, Consumer, ConsumerConfig};
use crate::error::BusError;
use crate::message::{Envelope, PublishReceipt};
use crate::subject::{Prefix, SubjectFilter};

/// Fails the first `failures` publishes whose subject `filter` matches; everything else goes to
/// the wrapped bus.
pub struct FailingPublishes {
    inner: Arc<dyn Bus>,
    filter: SubjectFilter,
    remaining: AtomicU32,
    failed: AtomicU32,
}

impl FailingPublishes {
    pub fn new(inner: Arc<dyn Bus>, filter: SubjectFilter, failures: u32) -> Self {
        Self {
            inner,
            filter,
            remaining: AtomicU32::new(failures),
            failed: AtomicU32::new(0),
        }
    }

    /// How many publishes were failed so far.
    pub fn failed(&self) -> u32 {
        self.failed.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Bus for FailingPublishes {
    fn prefix(&self) -> &Prefix {
        self.inner.prefix()
    }

    async fn publish(&self, envelope: Envelope) -> Result<PublishReceipt, BusError> {
        if self.filter.matches(envelope.subject())
            && self
                .remaining
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            self.failed.fetch_add(1, Ordering::SeqCst);
            return Err(BusError::Publish {
                subject: format!("{:?}", envelope.subject()),
                message: "the broker did not answer (failure injected by the test)".to_owned(),
            });
        }
        self.inner.publish(envelope).await
    }

    async fn consumer(&self, config: ConsumerConfig) -> Result<Box<dyn Consumer>, BusError> {
        self.inner.consumer(config).await
    }

    async fn delete_streams(&self) -> Result<(), BusError> {
        self.inner.delete_streams().await
    }
}
