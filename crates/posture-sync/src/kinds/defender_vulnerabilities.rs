//! Defender for Endpoint vulnerabilities per machine (`vulnerabilities/machinesVulnerabilities`):
//! one object per machine, CVE and vulnerable product, with its severity and the KB that fixes it.
//! Defender's id joins machine, CVE and product, so it stays the same while the CVE stays open;
//! a patched CVE leaves the list and is marked removed. Whether the CVE has a public exploit, and
//! when it was published, are joined from the catalogue when a pass starts (`job/cves.rs`).

use super::{KindDef, ReadMode};
use posture_graph::EntityKind;

pub const KIND: KindDef = KindDef {
    name: "defender_vulnerabilities",
    display_name: "Defender vulnerabilities per machine",
    graph: EntityKind::DefenderVulnerabilities,
    configuration: false,
    volatile: &[],
    read: ReadMode::Full,
    extra_query: &[],
    select: None,
};
