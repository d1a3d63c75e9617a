//! The mail authentication records DNS publishes for every Exchange accepted domain: SPF at the
//! domain, DMARC at `_dmarc.<domain>`, DKIM at Exchange's two selectors. The domains are listed
//! through Exchange's admin API (so the kind needs what `exo_accepted_domains` needs), the records
//! asked of `sync.dns_server`. Configuration: every version is kept, so a record's change shows
//! as drift.

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "dns_mail_records",
    display_name: "Mail DNS records (SPF, DKIM, DMARC)",
    graph: EntityKind::DnsMailRecords,
    configuration: true,
    volatile: &[],
    read: ReadMode::MailDns,
    extra_query: &[],
    select: None,
};
