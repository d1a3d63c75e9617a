//! SharePoint and OneDrive tenant settings (a singleton): sharing, sync client and legacy
//! authentication (configuration; `SharePointTenantSettings.Read.All`).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "sharepoint_settings",
    display_name: "SharePoint tenant settings",
    graph: EntityKind::SharepointSettings,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
