//! Intune managed devices: compliance state, operating system and version, last check-in and
//! primary user. `lastSyncDateTime` moves at every check-in without the device changing, so it is
//! volatile: refreshed in place, not a new version.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "managed_devices",
    display_name: "Intune managed devices",
    graph: EntityKind::ManagedDevices,
    configuration: false,
    volatile: &["lastSyncDateTime"],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
