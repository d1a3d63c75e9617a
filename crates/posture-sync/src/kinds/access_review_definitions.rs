//! Access review schedule definitions (Entra ID P2 / ID Governance): scope, reviewers,
//! recurrence and what happens to unreviewed access.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "access_review_definitions",
    display_name: "Access review definitions",
    graph: EntityKind::AccessReviewDefinitions,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
