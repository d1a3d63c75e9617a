//! The tenant's Defender exposure score, one object stored under the kind's name. Every new
//! measurement (a new `time`) is a new version: the versions are the score's history.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "defender_exposure_score",
    display_name: "Defender exposure score",
    graph: EntityKind::DefenderExposureScore,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
