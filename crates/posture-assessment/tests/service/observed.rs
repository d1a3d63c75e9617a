//! A bus for the tests of lost announcements: from a point the test chooses, publishes go through
//! posture-bus's `FailingPublishes`, and every delivery a consumer hands out is recorded, so a
//! test can tell that an event was redelivered.

use std::sync::{Arc, Mutex, RwLock};

use async_trait::async_trait;
use posture_bus::testing::FailingPublishes;
use posture_bus::{
    Bus, BusError, Consumer, ConsumerConfig, Delivery, Envelope, Prefix, PublishReceipt, SubjectFilter,
};
use tokio_util::sync::CancellationToken;

/// One delivery handed out: the consumer's name and how many times the message had been delivered.
type Seen = (String, u32);

pub struct ObservedBus {
    inner: Arc<dyn Bus>,
    publish_through: RwLock<Arc<dyn Bus>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl ObservedBus {
    pub fn new(inner: Arc<dyn Bus>) -> Arc<Self> {
        Arc::new(Self {
            publish_through: RwLock::new(inner.clone()),
            inner,
            seen: Arc::default(),
        })
    }

    /// From now on, the first `failures` publishes matching `filter` fail.
    pub fn fail_publishes(&self, filter: SubjectFilter, failures: u32) -> Arc<FailingPublishes> {
        let failing = Arc::new(FailingPublishes::new(self.inner.clone(), filter, failures));
        *self.publish_through.write().expect("publish path") = failing.clone();
        failing
    }

    /// The most times one message was delivered to the consumer `name` (0: none was).
    pub fn most_deliveries(&self, name: &str) -> u32 {
        self.seen
            .lock()
            .expect("deliveries")
            .iter()
            .filter(|(consumer, _)| consumer == name)
            .map(|(_, count)| *count)
            .max()
            .unwrap_or(0)
    }
}

#[async_trait]
impl Bus for ObservedBus {
    fn prefix(&self) -> &Prefix {
        self.inner.prefix()
    }

    async fn publish(&self, envelope: Envelope) -> Result<PublishReceipt, BusError> {
        let through = self.publish_through.read().expect("publish path").clone();
        through.publish(envelope).await
    }

    async fn consumer(&self, config: ConsumerConfig) -> Result<Box<dyn Consumer>, BusError> {
        Ok(Box::new(ObservedConsumer {
            inner: self.inner.consumer(config).await?,
            seen: self.seen.clone(),
        }))
    }

    async fn delete_streams(&self) -> Result<(), BusError> {
        self.inner.delete_streams().await
    }
}

struct ObservedConsumer {
    inner: Box<dyn Consumer>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

#[async_trait]
impl Consumer for ObservedConsumer {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn next(&mut self, cancel: &CancellationToken) -> Result<Option<Delivery>, BusError> {
        let delivery = self.inner.next(cancel).await?;
        if let Some(delivery) = &delivery {
            self.seen
                .lock()
                .expect("deliveries")
                .push((self.inner.name().to_owned(), delivery.delivery_count()));
        }
        Ok(delivery)
    }

    async fn close(&mut self) -> Result<(), BusError> {
        self.inner.close().await
    }
}
