//! The transitive members of every group that grants or scopes privilege: role-assignable groups
//! and the groups Conditional Access policies include or exclude. One object per group (`id`,
//! `isAssignableToRole`, `namedBy`, `members`), read whole on every run (job/members.rs).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "group_transitive_members",
    display_name: "Group transitive members",
    graph: EntityKind::GroupTransitiveMembers,
    configuration: false,
    volatile: &[],
    read: ReadMode::PerGroup,
    extra_query: &[("$filter", "isAssignableToRole eq true")],
    select: None,
};
