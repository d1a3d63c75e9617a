//! Defender for Endpoint alerts (`/api/alerts`): every open one, and the resolved ones updated
//! within the window of [`super::window`], the same as the Graph `security_alerts` kind.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "defender_alerts",
    display_name: "Defender for Endpoint alerts",
    graph: EntityKind::DefenderAlerts,
    configuration: false,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
