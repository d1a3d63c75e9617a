//! Tenant-wide group settings (`GET /groupSettings`): consent policy settings, Microsoft 365 group
//! creation and guest access (configuration).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "directory_settings",
    display_name: "Directory settings",
    graph: EntityKind::DirectorySettings,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
