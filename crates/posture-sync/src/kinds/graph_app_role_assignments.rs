//! Application permissions granted on Microsoft Graph: every app role assignment of Graph's
//! service principal (`appRoleAssignedTo`), one paged read per tenant however many apps it has,
//! joined to service principals by `principalId` (configuration).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "graph_app_role_assignments",
    display_name: "Microsoft Graph application permissions granted",
    graph: EntityKind::GraphAppRoleAssignments,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
