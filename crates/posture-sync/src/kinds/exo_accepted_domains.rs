//! Exchange accepted domains: the output of `Get-AcceptedDomain` through Exchange Online's admin API,
//! kept whole (PascalCase, as the cmdlet returns it); every version is kept.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "exo_accepted_domains",
    display_name: "Exchange accepted domains",
    graph: EntityKind::ExoAcceptedDomains,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
