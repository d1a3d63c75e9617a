//! The health of each Microsoft 365 service the tenant has (operational, degraded, ...).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "service_health_overviews",
    display_name: "Service health overviews",
    graph: EntityKind::ServiceHealthOverviews,
    configuration: false,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
