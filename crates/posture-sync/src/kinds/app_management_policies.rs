//! App management policies: credential restrictions applied to named applications and service
//! principals (configuration).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "app_management_policies",
    display_name: "App management policies",
    graph: EntityKind::AppManagementPolicies,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
