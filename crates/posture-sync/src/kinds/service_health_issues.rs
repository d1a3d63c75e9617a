//! Microsoft 365 service health issues (incidents and advisories) as the service announcement
//! API lists them; the resolved ones stay listed until Microsoft drops them.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "service_health_issues",
    display_name: "Service health issues",
    graph: EntityKind::ServiceHealthIssues,
    configuration: false,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
