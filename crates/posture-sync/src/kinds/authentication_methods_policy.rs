//! The authentication methods policy (a singleton) with every method configuration inline:
//! which methods are enabled, for whom, and the migration state (configuration).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "authentication_methods_policy",
    display_name: "Authentication methods policy",
    graph: EntityKind::AuthenticationMethodsPolicy,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
