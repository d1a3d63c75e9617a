//! What a control says about itself: its id, title, severity, the framework references it
//! implements and the tenant-document collections it reads. Packs, loaded modules, results and
//! reports all carry it, so it sits below each of them.

use serde::{Deserialize, Serialize};

/// How bad a failure of the control is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

/// Where a control comes from in a published framework, e.g. `cis-m365-v7` `5.2.2.2`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FrameworkReference {
    pub framework: String,
    pub reference: String,
}

/// What a control module says about itself in its `metadata` rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlMetadata {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    #[serde(default)]
    pub frameworks: Vec<FrameworkReference>,
    #[serde(default)]
    pub rationale: String,
    #[serde(default)]
    pub remediation: String,
    /// Tenant-document collections the control reads; missing ones make the result `error`.
    #[serde(default)]
    pub required_collections: Vec<String>,
    /// Collections whose raw `items` the control reads; defaults to `required_collections`. The
    /// control sees every collection's status, but items only of these (see docs/tenant-document.md).
    #[serde(default)]
    pub reads_items: Option<Vec<String>>,
    /// Entra licence the control needs (`p1`, `p2`). The module decides what its absence means: not
    /// applicable, or a failure where the benchmark still applies (SCuBA's P2 controls).
    #[serde(default)]
    pub licence: Option<String>,
}

impl ControlMetadata {
    /// The collections whose items are handed to the control.
    pub fn collections_read(&self) -> &[String] {
        self.reads_items.as_deref().unwrap_or(&self.required_collections)
    }
}
