//! Defender vulnerability management's security recommendations: what to update or reconfigure,
//! with the weaknesses, exposed machines and score impact of each.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "defender_recommendations",
    display_name: "Defender security recommendations",
    graph: EntityKind::DefenderRecommendations,
    configuration: false,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
