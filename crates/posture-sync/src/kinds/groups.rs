//! Groups, read with delta queries: type (Microsoft 365, security, dynamic), visibility,
//! membership rule and whether a role can be assigned to the group. Members are not part of this
//! kind: after the first round `members@delta` carries only a round's changes and the inventory
//! keeps whole objects, so membership is read whole by `group_transitive_members`.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "groups",
    display_name: "Groups",
    graph: EntityKind::Groups,
    configuration: false,
    volatile: &[],
    read: ReadMode::Delta,
    extra_query: &[],
    // The catalog's fields without the delta-only `members`.
    select: Some(&[
        "id",
        "displayName",
        "mail",
        "mailEnabled",
        "securityEnabled",
        "groupTypes",
        "membershipRule",
        "membershipRuleProcessingState",
        "isAssignableToRole",
        "visibility",
        "createdDateTime",
        "onPremisesSyncEnabled",
    ]),
};
