//! The tenant's Defender device secure score (configuration score), one object stored under the
//! kind's name. Every new measurement (a new `time`) is a new version: the versions are the
//! score's history.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "defender_configuration_score",
    display_name: "Defender configuration score",
    graph: EntityKind::DefenderConfigurationScore,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
