//! Exchange organization configuration (auditing, modern authentication, Customer Lockbox): the output of `Get-OrganizationConfig` through Exchange Online's admin API,
//! kept whole (PascalCase, as the cmdlet returns it); every version is kept.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "exo_organization_config",
    display_name: "Exchange organization configuration (auditing, modern authentication, Customer Lockbox)",
    graph: EntityKind::ExoOrganizationConfig,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
