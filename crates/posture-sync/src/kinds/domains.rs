//! The tenant's domains: authentication type, verification and password validity (configuration).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "domains",
    display_name: "Domains",
    graph: EntityKind::Domains,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
