//! DKIM signing configuration per domain: the output of `Get-DkimSigningConfig` through Exchange Online's admin API,
//! kept whole (PascalCase, as the cmdlet returns it); every version is kept.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "exo_dkim_signing_config",
    display_name: "DKIM signing configuration per domain",
    graph: EntityKind::ExoDkimSigningConfig,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
