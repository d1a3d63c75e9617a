//! App registrations with their client secrets and certificates (metadata only: Graph never
//! returns secret values) and their owners, expanded in the same read so an unowned app is
//! visible without one request per app (configuration).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "applications",
    display_name: "App registrations",
    graph: EntityKind::Applications,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[("$expand", "owners($select=id,displayName,userPrincipalName)")],
    select: None,
};
