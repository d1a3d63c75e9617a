//! The tenant's default app management policy (a singleton): credential restrictions for every
//! application and service principal (configuration).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "default_app_management_policy",
    display_name: "Default app management policy",
    graph: EntityKind::DefaultAppManagementPolicy,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
