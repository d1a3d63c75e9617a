//! Defender for Office Safe Attachments policies: the output of `Get-SafeAttachmentPolicy` through Exchange Online's admin API,
//! kept whole (PascalCase, as the cmdlet returns it); every version is kept.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "exo_safe_attachment_policies",
    display_name: "Defender for Office Safe Attachments policies",
    graph: EntityKind::ExoSafeAttachmentPolicies,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
