//! On-premises directory synchronization features and configuration, one object per tenant
//! (configuration).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "on_premises_synchronization",
    display_name: "On-premises directory synchronization",
    graph: EntityKind::OnPremisesSynchronization,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
