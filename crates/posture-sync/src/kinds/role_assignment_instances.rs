//! PIM active role assignments (Entra ID P2).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "role_assignment_instances",
    display_name: "Role assignment schedule instances",
    graph: EntityKind::RoleAssignmentInstances,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
