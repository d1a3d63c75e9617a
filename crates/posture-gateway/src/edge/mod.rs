//! The edge: what the gateway checks in a request before forwarding it ([`EdgeRequest`]: field
//! forms and the tenants touched) and how it cuts a response to the caller's scope
//! ([`ScopedResponse`]).

pub mod checks;
mod requests;
mod responses;

pub use requests::{EdgeRequest, Touches};
pub use responses::ScopedResponse;
