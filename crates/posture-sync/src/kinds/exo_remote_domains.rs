//! Exchange remote domains (automatic forwarding per domain): the output of `Get-RemoteDomain` through Exchange Online's admin API,
//! kept whole (PascalCase, as the cmdlet returns it); every version is kept.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "exo_remote_domains",
    display_name: "Exchange remote domains (automatic forwarding per domain)",
    graph: EntityKind::ExoRemoteDomains,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
