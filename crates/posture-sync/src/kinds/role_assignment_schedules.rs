//! PIM active assignment schedules (Entra ID P2): an assignment made outside PIM has no
//! `createdUsing` request and no schedule start.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "role_assignment_schedules",
    display_name: "Role assignment schedules",
    graph: EntityKind::RoleAssignmentSchedules,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
