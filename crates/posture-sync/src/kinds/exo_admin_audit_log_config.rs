//! Admin audit log configuration (unified audit log ingestion): the output of `Get-AdminAuditLogConfig` through Exchange Online's admin API,
//! kept whole (PascalCase, as the cmdlet returns it); every version is kept.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "exo_admin_audit_log_config",
    display_name: "Admin audit log configuration (unified audit log ingestion)",
    graph: EntityKind::ExoAdminAuditLogConfig,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
