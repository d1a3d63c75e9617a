//! Service principals (enterprise applications): Posture's, the tenant's own apps', third-party
//! and Microsoft's, with Microsoft Graph's `appRoles` so granted permission ids resolve to names
//! (configuration).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "service_principals",
    display_name: "Service principals",
    graph: EntityKind::ServicePrincipals,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
