//! Exchange sharing policies: the output of `Get-SharingPolicy` through Exchange Online's admin
//! API (which domains see users' calendars and contacts), kept whole; every version is kept.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "exo_sharing_policies",
    display_name: "Exchange sharing policies",
    graph: EntityKind::ExoSharingPolicies,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
