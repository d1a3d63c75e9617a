//! Shared mailboxes (sign-in enabled or not): the output of `Get-Mailbox -RecipientTypeDetails SharedMailbox` through Exchange Online's admin API,
//! kept whole (PascalCase, as the cmdlet returns it); every version is kept.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "exo_shared_mailboxes",
    display_name: "Shared mailboxes (sign-in enabled or not)",
    graph: EntityKind::ExoSharedMailboxes,
    configuration: true,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
