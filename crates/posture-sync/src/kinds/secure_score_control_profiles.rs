//! Secure Score control profiles: the recommendations behind the score, with their maximum
//! score, rank and the tenant's state updates.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "secure_score_control_profiles",
    display_name: "Secure Score control profiles",
    graph: EntityKind::SecureScoreControlProfiles,
    configuration: false,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
