//! External sender tagging in Outlook: the output of `Get-ExternalInOutlook` through Exchange Online's admin API,
//! kept whole (PascalCase, as the cmdlet returns it); every version is kept.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "exo_external_in_outlook",
    display_name: "External sender tagging in Outlook",
    graph: EntityKind::ExoExternalInOutlook,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
