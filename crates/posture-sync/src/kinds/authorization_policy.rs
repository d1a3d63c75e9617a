//! The tenant's authorization policy (a singleton): configuration.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "authorization_policy",
    display_name: "Authorization policy",
    graph: EntityKind::AuthorizationPolicy,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
