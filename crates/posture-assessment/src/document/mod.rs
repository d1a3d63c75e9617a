//! The tenant document: the policies' input. Raw Graph objects per entity kind as synced, the sync
//! status of each kind, tenant settings, pack parameters and a few derived indexes (licences,
//! privileged principals) that would be slow or awkward to compute in Rego. See docs/tenant-document.md.

mod accounts;
mod builder;
mod collection;
mod licences;
mod projection;
mod roles;
mod tenant;

pub use builder::{DEFAULT_PARAMETERS, TenantDocumentBuilder};
pub use collection::{Collection, CollectionKind, CollectionStatus};
pub use licences::Licences;
pub use roles::{PRIVILEGED_ROLE_TEMPLATE_IDS, role_display_name};
pub use tenant::TenantDocument;
