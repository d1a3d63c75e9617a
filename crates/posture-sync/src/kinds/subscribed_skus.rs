//! Subscribed SKUs: licences bought and consumed; consumed units change daily and are volatile.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "subscribed_skus",
    display_name: "Subscribed SKUs",
    graph: EntityKind::SubscribedSkus,
    configuration: false,
    volatile: &["consumedUnits"],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
