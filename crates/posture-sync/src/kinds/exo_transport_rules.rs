//! Exchange mail flow (transport) rules: the output of `Get-TransportRule` through Exchange Online's admin API,
//! kept whole (PascalCase, as the cmdlet returns it); every version is kept.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "exo_transport_rules",
    display_name: "Exchange mail flow (transport) rules",
    graph: EntityKind::ExoTransportRules,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
