//! Defender for Office Safe Links policies: the output of `Get-SafeLinksPolicy` through Exchange Online's admin API,
//! kept whole (PascalCase, as the cmdlet returns it); every version is kept.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "exo_safe_links_policies",
    display_name: "Defender for Office Safe Links policies",
    graph: EntityKind::ExoSafeLinksPolicies,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
