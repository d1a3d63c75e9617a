//! Authentication method registration per user (Entra ID P1); the report's refresh time is volatile.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "user_registration_details",
    display_name: "User registration details",
    graph: EntityKind::UserRegistrationDetails,
    configuration: false,
    volatile: &["lastUpdatedDateTime"],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
