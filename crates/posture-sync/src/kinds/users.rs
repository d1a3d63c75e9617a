//! Users, read with delta queries. Sign-in activity is its own kind (`user_sign_in_activity`):
//! delta does not return it and its throttling budget is far smaller.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "users",
    display_name: "Users",
    graph: EntityKind::Users,
    configuration: false,
    volatile: &[],
    read: ReadMode::Delta,
    extra_query: &[],
    select: None,
};
