//! Activity-based timeout policies: how long an idle web session stays signed in (configuration).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "activity_based_timeout_policies",
    display_name: "Activity-based timeout policies",
    graph: EntityKind::ActivityBasedTimeoutPolicies,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
