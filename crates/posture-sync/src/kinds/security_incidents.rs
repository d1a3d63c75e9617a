//! Microsoft Defender XDR incidents: every open one, and the resolved ones updated within the
//! window of [`super::window`].

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "security_incidents",
    display_name: "Defender incidents",
    graph: EntityKind::SecurityIncidents,
    configuration: false,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
