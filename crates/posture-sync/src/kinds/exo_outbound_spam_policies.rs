//! Outbound spam filter policies (automatic forwarding): the output of `Get-HostedOutboundSpamFilterPolicy` through Exchange Online's admin API,
//! kept whole (PascalCase, as the cmdlet returns it); every version is kept.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "exo_outbound_spam_policies",
    display_name: "Outbound spam filter policies (automatic forwarding)",
    graph: EntityKind::ExoOutboundSpamPolicies,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
