//! Intune device compliance policies with the groups each is assigned to (configuration).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "device_compliance_policies",
    display_name: "Intune device compliance policies",
    graph: EntityKind::DeviceCompliancePolicies,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[("$expand", "assignments")],
    select: None,
};
