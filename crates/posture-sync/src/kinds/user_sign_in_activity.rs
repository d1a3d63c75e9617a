//! Last sign-in times per user (Entra ID P1, AuditLog.Read.All): a full read each run, because
//! Graph's users delta does not return `signInActivity`. Objects are `{id, signInActivity}`, merged
//! onto users by id; the sign-in times are volatile, so they refresh the stored object without
//! counting as a change. The catalog gives it its own throttling family and smaller pages.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "user_sign_in_activity",
    display_name: "User sign-in activity",
    graph: EntityKind::UserSignInActivity,
    configuration: false,
    volatile: &["signInActivity"],
    read: ReadMode::Full,
    extra_query: &[],
    select: Some(&["id", "signInActivity"]),
};
