//! PIM eligibility schedules (Entra ID P2): who may activate which role, and until when.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "role_eligibility_schedules",
    display_name: "Role eligibility schedules",
    graph: EntityKind::RoleEligibilitySchedules,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
