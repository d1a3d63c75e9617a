//! Where each backend role is reached: one lazily connected, trace-carrying channel per role
//! (`endpoints.*` in the configuration; in standalone all point at the internal server). A role
//! without an address is "not deployed" and its rpcs answer UNAVAILABLE.

use std::collections::BTreeMap;
use std::fmt;

use posture_kit::ServiceRole;
use posture_kit::config::{EndpointsConfig, GrpcConfig};
use posture_kit::grpc::{TracedChannel, internal_channel, lazy_channel, traced};
use posture_kit::tls::InternalTls;
use tonic::Status;
use tonic::transport::Channel;

use crate::GatewayError;

/// The roles whose public services the gateway forwards to.
pub const BACKEND_ROLES: [ServiceRole; 4] = [
    ServiceRole::Credentials,
    ServiceRole::Sync,
    ServiceRole::Scheduler,
    ServiceRole::Assessment,
];

#[derive(Clone, Default)]
pub struct Upstreams {
    channels: BTreeMap<ServiceRole, TracedChannel>,
}

impl fmt::Debug for Upstreams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upstreams")
            .field("roles", &self.channels.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Upstreams {
    /// No backend at all: every forwarded rpc answers UNAVAILABLE.
    pub fn none() -> Self {
        Self::default()
    }

    /// Every backend role at the address `endpoints` names for it, over mutual TLS as the gateway
    /// role (`tls`), each server verified to hold the role it is called for.
    pub fn from_endpoints(
        endpoints: &EndpointsConfig,
        grpc: &GrpcConfig,
        tls: &InternalTls,
    ) -> Result<Self, GatewayError> {
        BACKEND_ROLES
            .iter()
            .try_fold(Self::none(), |upstreams, role| match endpoints.for_role(*role) {
                Some(address) if !address.trim().is_empty() => {
                    let channel = internal_channel(address, *role, tls, grpc)
                        .map_err(|source| GatewayError::Upstream { role: *role, source })?;
                    Ok(upstreams.with_channel(*role, channel))
                }
                _ => Ok(upstreams),
            })
    }

    /// `role` at `address` (e.g. `http://127.0.0.1:7600`) in plaintext, connected on first use:
    /// for tests that serve a single role without TLS.
    pub fn with_address(
        self,
        role: ServiceRole,
        address: &str,
        grpc: &GrpcConfig,
    ) -> Result<Self, GatewayError> {
        let channel =
            lazy_channel(address, grpc).map_err(|source| GatewayError::Upstream { role, source })?;
        Ok(self.with_channel(role, channel))
    }

    pub fn with_channel(mut self, role: ServiceRole, channel: Channel) -> Self {
        self.channels.insert(role, traced(channel));
        self
    }

    pub fn roles(&self) -> impl Iterator<Item = ServiceRole> + '_ {
        self.channels.keys().copied()
    }

    pub(crate) fn channel(&self, role: ServiceRole) -> Result<TracedChannel, Status> {
        self.channels.get(&role).cloned().ok_or_else(|| not_running(role))
    }
}

pub(crate) fn not_running(role: ServiceRole) -> Status {
    Status::unavailable(format!("the {role} role is not running"))
}
