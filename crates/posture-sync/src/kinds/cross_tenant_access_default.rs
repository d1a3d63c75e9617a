//! The default cross-tenant access settings (a singleton, answered without an `id`: stored under
//! the kind's name): B2B collaboration, direct connect and inbound trust (configuration).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "cross_tenant_access_default",
    display_name: "Cross-tenant access default",
    graph: EntityKind::CrossTenantAccessDefault,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
