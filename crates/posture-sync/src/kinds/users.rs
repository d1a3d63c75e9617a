//! Users, read with delta queries; sign-in activity is volatile (it never makes a new version).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "users",
    display_name: "Users",
    graph: EntityKind::Users,
    configuration: false,
    volatile: &["signInActivity"],
    read: ReadMode::Delta,
    extra_query: &[],
};
