//! The admin consent request policy (a singleton): whether users can ask an admin to consent
//! for them, and who reviews (configuration).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "admin_consent_request_policy",
    display_name: "Admin consent request policy",
    graph: EntityKind::AdminConsentRequestPolicy,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
