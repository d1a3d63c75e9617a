//! Defender for Endpoint machines: onboarding and health, operating system and build, risk and
//! exposure level, tags. `lastSeen` and the last IP addresses move with every report the sensor
//! sends without the machine changing, so they are volatile: refreshed in place, not a new version.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "defender_machines",
    display_name: "Defender for Endpoint machines",
    graph: EntityKind::DefenderMachines,
    configuration: false,
    volatile: &["lastSeen", "lastIpAddress", "lastExternalIpAddress"],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
