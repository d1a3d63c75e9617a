//! Microsoft Secure Score: one object per day, the last 90 days Graph keeps. A day's score does
//! not change once written; days falling out of the history are marked removed.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "secure_scores",
    display_name: "Secure Score history",
    graph: EntityKind::SecureScores,
    configuration: false,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
