//! Reading events in tests: the next one within [`PATIENCE`], or proof that no other came.

use std::time::Duration;

use posture_bus::{Consumer, Delivery};
use posture_proto::events::v1 as ev;
use tokio_util::sync::CancellationToken;

use crate::world::PATIENCE;

/// The next delivery, read by `read` and then acknowledged, within [`PATIENCE`].
pub async fn next_event<T>(consumer: &mut Box<dyn Consumer>, read: impl FnOnce(&Delivery) -> T) -> T {
    let cancel = CancellationToken::new();
    let delivery = tokio::time::timeout(PATIENCE, consumer.next(&cancel))
        .await
        .expect("an event arrives")
        .expect("the bus delivers")
        .expect("a delivery");
    let event = read(&delivery);
    delivery.ack().await.expect("ack");
    event
}

/// The next AssessmentCompleted, within [`PATIENCE`].
pub async fn next_completed(consumer: &mut Box<dyn Consumer>) -> ev::AssessmentCompleted {
    next_event(consumer, |d| d.decode().expect("AssessmentCompleted decodes")).await
}

/// Fails if anything arrives within `quiet`: what was expected once came once.
pub async fn nothing_more(consumer: &mut Box<dyn Consumer>, quiet: Duration) {
    let cancel = CancellationToken::new();
    if let Ok(delivery) = tokio::time::timeout(quiet, consumer.next(&cancel)).await {
        let delivery = delivery.expect("the bus delivers").expect("a delivery");
        panic!(
            "a second event arrived: {} (message id {:?})",
            delivery.wire_subject(),
            delivery.message_id()
        );
    }
}
