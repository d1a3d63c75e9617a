//! Classifications of Microsoft Graph's delegated permissions, read on Graph's service principal by
//! its appId: a permission classified low can be consented to by users when the consent policy
//! allows low-impact permissions (configuration).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "delegated_permission_classifications",
    display_name: "Delegated permission classifications",
    graph: EntityKind::DelegatedPermissionClassifications,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
