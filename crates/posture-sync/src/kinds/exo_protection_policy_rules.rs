//! Preset security policy rules (Standard and Strict): the output of `Get-EOPProtectionPolicyRule` through Exchange Online's admin API,
//! kept whole (PascalCase, as the cmdlet returns it); every version is kept.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "exo_protection_policy_rules",
    display_name: "Preset security policy rules (Standard and Strict)",
    graph: EntityKind::ExoProtectionPolicyRules,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
