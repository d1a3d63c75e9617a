//! Who is on the other end of a mutual-TLS connection: the roles its verified certificate names.

use std::net::SocketAddr;
use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use crate::ServiceRole;

/// The DNS suffix under which role certificates name their roles: `sync.posture.internal`. A
/// private name (`.internal` is reserved for private use), so no public CA issues it.
pub const ROLE_DOMAIN: &str = "posture.internal";

/// The name a role's certificate carries and a client verifies: `credentials.posture.internal`.
pub fn role_server_name(role: ServiceRole) -> String {
    format!("{}.{ROLE_DOMAIN}", role.as_str())
}

/// The roles a verified peer certificate names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerIdentity {
    roles: Vec<ServiceRole>,
}

impl PeerIdentity {
    pub fn new(mut roles: Vec<ServiceRole>) -> Self {
        roles.sort_by_key(|role| ServiceRole::ALL.iter().position(|r| r == role));
        roles.dedup();
        Self { roles }
    }

    /// The roles named by `certificate`'s DNS subject alternative names; other names are ignored.
    /// The chain has been verified by the TLS handshake before this runs.
    pub fn from_certificate(certificate: &CertificateDer<'_>) -> Option<Self> {
        let (_, parsed) = x509_parser::parse_x509_certificate(certificate.as_ref()).ok()?;
        let names = parsed.subject_alternative_name().ok()??;
        let roles = names
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                x509_parser::extensions::GeneralName::DNSName(dns) => role_of_dns_name(dns),
                _ => None,
            })
            .collect::<Vec<_>>();
        (!roles.is_empty()).then(|| Self::new(roles))
    }

    pub fn roles(&self) -> &[ServiceRole] {
        &self.roles
    }

    pub fn holds(&self, role: ServiceRole) -> bool {
        self.roles.contains(&role)
    }

    /// The name access logs record: `tokens`, or `credentials+tokens` for a process holding both.
    pub fn name(&self) -> String {
        self.roles
            .iter()
            .map(|role| role.as_str())
            .collect::<Vec<_>>()
            .join("+")
    }
}

impl std::fmt::Display for PeerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

fn role_of_dns_name(name: &str) -> Option<ServiceRole> {
    let role = name.strip_suffix(ROLE_DOMAIN)?.strip_suffix('.')?;
    ServiceRole::ALL.into_iter().find(|r| r.as_str() == role)
}

/// What a TLS connection tells each request on it (tonic puts it in the request's extensions).
#[derive(Debug, Clone)]
pub struct TlsConnectInfo {
    pub remote_addr: Option<SocketAddr>,
    /// The caller's roles, on an internal server whose client certificate named some.
    pub peer: Option<Arc<PeerIdentity>>,
    /// Whether the client presented a certificate the server verified.
    pub client_certificate: bool,
}

/// The verified identity of the caller of `request`: `None` when the call did not come over
/// mutual TLS from a role certificate.
pub fn peer_identity<T>(request: &tonic::Request<T>) -> Option<&PeerIdentity> {
    request
        .extensions()
        .get::<TlsConnectInfo>()
        .and_then(|info| info.peer.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_read_only_under_the_role_domain() {
        assert_eq!(
            role_of_dns_name("tokens.posture.internal"),
            Some(ServiceRole::Tokens)
        );
        assert_eq!(
            role_of_dns_name("gateway.posture.internal"),
            Some(ServiceRole::Gateway)
        );
        assert_eq!(role_of_dns_name("tokens.posture.internal.evil.com"), None);
        assert_eq!(role_of_dns_name("tokensposture.internal"), None);
        assert_eq!(role_of_dns_name("root.posture.internal"), None);
        assert_eq!(role_of_dns_name("a.tokens.posture.internal"), None);
    }

    #[test]
    fn a_process_identity_is_named_by_its_roles_in_start_order() {
        let identity = PeerIdentity::new(vec![
            ServiceRole::Tokens,
            ServiceRole::Credentials,
            ServiceRole::Tokens,
        ]);
        assert_eq!(identity.name(), "credentials+tokens");
        assert!(identity.holds(ServiceRole::Tokens));
        assert!(!identity.holds(ServiceRole::Sync));
    }
}
