//! Anti-phishing policies: the output of `Get-AntiPhishPolicy` through Exchange Online's admin API,
//! kept whole (PascalCase, as the cmdlet returns it); every version is kept.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "exo_anti_phish_policies",
    display_name: "Anti-phishing policies",
    graph: EntityKind::ExoAntiPhishPolicies,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
