//! Defender for Office 365's tenant-wide settings: the output of `Get-AtpPolicyForO365` through
//! Exchange Online's admin API (Safe Attachments for SharePoint, OneDrive and Teams, Safe
//! Documents), kept whole; every version is kept.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "exo_atp_policy_for_o365",
    display_name: "Defender for Office 365 tenant settings",
    graph: EntityKind::ExoAtpPolicyForO365,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
