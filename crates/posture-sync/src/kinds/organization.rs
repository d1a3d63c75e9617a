//! The organization object: domains, plans, notification addresses.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "organization",
    display_name: "Organization",
    graph: EntityKind::Organization,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
