//! Directory role assignments with the principal expanded, so privileged users are named.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "role_assignments",
    display_name: "Role assignments",
    graph: EntityKind::RoleAssignments,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[("$expand", "principal")],
    select: None,
};
