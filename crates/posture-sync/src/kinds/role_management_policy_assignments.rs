//! PIM settings of the directory roles (Entra ID P2): each role's policy assignment with the
//! policy and its rules embedded (approval, notification, expiration and enablement rules).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "role_management_policy_assignments",
    display_name: "Role management policies (PIM settings)",
    graph: EntityKind::RoleManagementPolicyAssignments,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[
        ("$filter", "scopeId eq '/' and scopeType eq 'DirectoryRole'"),
        ("$expand", "policy($expand=rules)"),
    ],
    select: None,
};
