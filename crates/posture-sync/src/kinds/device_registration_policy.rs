//! The device registration policy (a singleton, Graph v1.0, Policy.Read.DeviceConfiguration): who
//! may register and join devices, MFA to join, local administrators and LAPS (configuration).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "device_registration_policy",
    display_name: "Device registration policy",
    graph: EntityKind::DeviceRegistrationPolicy,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
