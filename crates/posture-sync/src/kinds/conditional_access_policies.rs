//! Conditional Access policies (Entra ID P1): configuration, every version kept.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "conditional_access_policies",
    display_name: "Conditional Access policies",
    graph: EntityKind::ConditionalAccessPolicies,
    configuration: true,
    volatile: &["modifiedDateTime"],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
