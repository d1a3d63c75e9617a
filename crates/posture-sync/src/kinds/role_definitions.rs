//! Directory role definitions, built-in and custom: configuration.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "role_definitions",
    display_name: "Role definitions",
    graph: EntityKind::RoleDefinitions,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
