//! Named locations used by Conditional Access: configuration, every version kept.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "named_locations",
    display_name: "Named locations",
    graph: EntityKind::NamedLocations,
    configuration: true,
    volatile: &["modifiedDateTime"],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
