//! Microsoft Defender XDR alerts (`security/alerts_v2`): every open one, and the resolved ones
//! updated within the window of [`super::window`] (a `$filter` added when the pass starts).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "security_alerts",
    display_name: "Defender alerts",
    graph: EntityKind::AlertsV2,
    configuration: false,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
