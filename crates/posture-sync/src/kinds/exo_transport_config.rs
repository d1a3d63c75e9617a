//! Exchange transport configuration (SMTP AUTH): the output of `Get-TransportConfig` through Exchange Online's admin API,
//! kept whole (PascalCase, as the cmdlet returns it); every version is kept.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "exo_transport_config",
    display_name: "Exchange transport configuration (SMTP AUTH)",
    graph: EntityKind::ExoTransportConfig,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
