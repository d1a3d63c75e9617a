//! Anti-spam (hosted content filter) policies: the output of `Get-HostedContentFilterPolicy` through Exchange Online's admin API,
//! kept whole (PascalCase, as the cmdlet returns it); every version is kept.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "exo_hosted_content_filter_policies",
    display_name: "Anti-spam (hosted content filter) policies",
    graph: EntityKind::ExoHostedContentFilterPolicies,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
