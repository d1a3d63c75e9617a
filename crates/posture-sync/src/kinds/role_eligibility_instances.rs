//! PIM eligible role assignments (Entra ID P2).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "role_eligibility_instances",
    display_name: "Role eligibility schedule instances",
    graph: EntityKind::RoleEligibilityInstances,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
