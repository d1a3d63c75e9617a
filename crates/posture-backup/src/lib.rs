//! Configuration backups: a tenant's configuration objects as they were at one time, in a
//! documented and versioned archive (docs/backup-format.md), what changed between two such
//! snapshots as RFC 6902 patches, and the Graph calls that would bring a tenant back to one.
//!
//! Pure data and functions: the CLI builds snapshots from the inventory API, the sync role from
//! its store, and both write and read archives through here, so there is one format.

pub mod diff;
pub mod format;
pub mod plan;

pub use diff::{Change, ChangeKind, diff};
pub use format::{
    BackupError, BackupObject, FORMAT, FORMAT_VERSION, KindCount, Manifest, Snapshot, read_archive,
    write_archive,
};
pub use plan::{GraphCall, ManualStep, RestorePlan, plan};
