//! Authentication and authorization: the [`Gate`] in front of every public service (API key and
//! least role per rpc, from [`policy::RPC_ROLES`]) and the [`Principal`] it hands to handlers,
//! which check the tenants a request touches.

mod gate;
pub mod policy;
mod principal;

pub use gate::{Gate, Guarded};
pub use principal::{AccessRole, MAX_SCOPE_TENANTS, Principal, TenantScope};

use tonic::{Request, Status};

/// The caller the gate admitted. A request without one never passed the gate, which cannot
/// happen for a mounted service; refusing keeps that a closed door rather than an open one.
pub fn principal_of<T>(request: &Request<T>) -> Result<Principal, Status> {
    request
        .extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| Status::unauthenticated("the request was not authenticated"))
}
