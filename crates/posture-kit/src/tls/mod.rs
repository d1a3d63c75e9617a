//! TLS for Posture's gRPC.
//!
//! - **Between roles**: mutual TLS from an internal certificate authority. A role's certificate
//!   names the roles it may act as, one DNS name each (`tokens.posture.internal`); a client checks
//!   that the server holds the role it is calling, whatever address it dialled, and a server reads
//!   the caller's roles from its verified certificate and authorizes each call by them
//!   ([`InternalPolicy`]). Standalone issues a throwaway authority in memory at start, so the
//!   roles of one process still authenticate each other and nothing outside it can.
//! - **At the edge**: the gateway serves TLS with the operator's certificate, optionally requiring
//!   client certificates; the CLI verifies it with the system roots plus a CA file.
//! - Certificate, key and CA files are read again when they change on disk (cert-manager rotates
//!   them in place), so new connections use the new certificate without a restart.

mod authz;
mod client;
mod files;
mod identity;
mod issue;
mod server;

use std::path::PathBuf;

pub use authz::{InternalAuthzLayer, InternalPolicy, Rule};
pub use client::{ClientTls, TlsConnector};
pub use files::PemFiles;
pub use identity::{PeerIdentity, ROLE_DOMAIN, TlsConnectInfo, peer_identity, role_server_name};
pub use issue::{CertificateAuthority, IssuedCertificate, write_private, write_public};
pub use server::{ServerTls, TlsConnection, tls_incoming};

/// What can go wrong reading, building or issuing TLS material. Messages name files, never their
/// contents.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} holds no PEM certificate")]
    NoCertificate { path: PathBuf },
    #[error("{path} holds no PEM private key (PKCS#8, PKCS#1 or SEC1)")]
    NoKey { path: PathBuf },
    #[error("{path} is not valid PEM: {reason}")]
    Pem { path: PathBuf, reason: String },
    #[error("the certificate of {path} names no Posture role (expected DNS names like `tokens.{domain}`)", domain = ROLE_DOMAIN)]
    NoRole { path: PathBuf },
    #[error("invalid TLS configuration: {0}")]
    Config(String),
    #[error("cannot issue a certificate: {0}")]
    Issue(String),
}

impl From<rustls::Error> for TlsError {
    fn from(error: rustls::Error) -> Self {
        Self::Config(error.to_string())
    }
}

impl From<rcgen::Error> for TlsError {
    fn from(error: rcgen::Error) -> Self {
        Self::Issue(error.to_string())
    }
}

/// The crypto every TLS configuration here uses, whatever provider the process installed.
fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::ring::default_provider())
}

/// gRPC is HTTP/2: both ends offer `h2` so peers that require ALPN (grpc-go, grpcurl) connect.
const ALPN_H2: &[u8] = b"h2";

/// A process's identity among the roles: the certificate naming its roles, the CA it trusts, and
/// the server and client configurations made from them.
#[derive(Clone, Debug)]
pub struct InternalTls {
    server: ServerTls,
    client: ClientTls,
    roles: Vec<crate::ServiceRole>,
    ephemeral: bool,
}

/// How long the throwaway authority of a standalone process and its certificate are valid: longer
/// than any process runs.
const EPHEMERAL_VALIDITY: std::time::Duration = std::time::Duration::from_secs(10 * 365 * 24 * 3600);

impl InternalTls {
    /// From `posture certs` or cert-manager files (reloaded when they change); `files.ca` is
    /// required and the certificate must name at least one role.
    pub fn from_files(files: PemFiles) -> Result<Self, TlsError> {
        let material = files.read()?;
        let roles = material
            .chain
            .first()
            .and_then(PeerIdentity::from_certificate)
            .ok_or_else(|| TlsError::NoRole {
                path: files.certificate.clone(),
            })?
            .roles()
            .to_vec();
        Ok(Self {
            server: ServerTls::internal_from_files(files.clone())?,
            client: ClientTls::internal_from_files(files)?,
            roles,
            ephemeral: false,
        })
    }

    /// A throwaway authority made in memory and one certificate naming `roles`: the roles of one
    /// process authenticate each other, and no other process can obtain a certificate.
    pub fn ephemeral(roles: &[crate::ServiceRole]) -> Result<Self, TlsError> {
        let authority = CertificateAuthority::generate("Posture process CA", EPHEMERAL_VALIDITY)?;
        let mut tls = Self::issued_by(&authority, roles)?;
        tls.ephemeral = true;
        Ok(tls)
    }

    /// A certificate for `roles` from `authority`, held in memory (tests give each role its own).
    pub fn issued_by(
        authority: &CertificateAuthority,
        roles: &[crate::ServiceRole],
    ) -> Result<Self, TlsError> {
        use rustls_pki_types::pem::PemObject;
        use secrecy::ExposeSecret;
        let issued = authority.issue_roles(roles, EPHEMERAL_VALIDITY)?;
        let pem_error = |reason: String| TlsError::Pem {
            path: "<memory>".into(),
            reason,
        };
        let chain = rustls_pki_types::CertificateDer::pem_slice_iter(issued.certificate_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| pem_error(error.to_string()))?;
        let ca = rustls_pki_types::CertificateDer::pem_slice_iter(authority.certificate_pem().as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| pem_error(error.to_string()))?;
        let key = rustls_pki_types::PrivateKeyDer::from_pem_slice(
            issued.private_key_pem.expose_secret().as_bytes(),
        )
        .map_err(|error| pem_error(error.to_string()))?;
        let material = files::Material { chain, key, ca };
        Ok(Self {
            server: ServerTls::internal_fixed(&material)?,
            client: ClientTls::internal_fixed(&material)?,
            roles: roles.to_vec(),
            ephemeral: false,
        })
    }

    /// The roles this process's certificate names.
    pub fn roles(&self) -> &[crate::ServiceRole] {
        &self.roles
    }

    /// Whether the authority exists only in this process (standalone).
    pub fn is_ephemeral(&self) -> bool {
        self.ephemeral
    }

    pub fn server(&self) -> ServerTls {
        self.server.clone()
    }

    pub fn client(&self) -> &ClientTls {
        &self.client
    }
}
