//! Issuing the internal CA and its certificates (`posture certs`, and the throwaway authority a
//! standalone process makes for itself). Keys are ECDSA P-256; role certificates are valid for
//! both server and client authentication, since every role is both.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyPair, KeyUsagePurpose, SanType,
};
use secrecy::{ExposeSecret, SecretString};

use super::{TlsError, role_server_name};
use crate::ServiceRole;

/// Certificates are valid from a little before they are issued, so a peer whose clock is slightly
/// behind accepts them at once.
const BACKDATE: Duration = Duration::from_secs(300);

/// An internal certificate authority: its certificate and the key that signs role certificates.
pub struct CertificateAuthority {
    certificate_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAuthority").finish_non_exhaustive()
    }
}

/// A certificate and its private key, both PEM.
pub struct IssuedCertificate {
    pub certificate_pem: String,
    pub private_key_pem: SecretString,
}

impl std::fmt::Debug for IssuedCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCertificate")
            .field("certificate_pem", &self.certificate_pem)
            .field("private_key_pem", &"[redacted]")
            .finish()
    }
}

fn validity(params: &mut CertificateParams, valid_for: Duration) {
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - BACKDATE;
    params.not_after = now + valid_for;
}

fn distinguished_name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "Posture");
    name.push(DnType::CommonName, common_name);
    name
}

impl CertificateAuthority {
    /// A new authority valid for `valid_for`.
    pub fn generate(common_name: &str, valid_for: Duration) -> Result<Self, TlsError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        params.distinguished_name = distinguished_name(common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        validity(&mut params, valid_for);
        let certificate = params.self_signed(&key)?;
        Ok(Self {
            certificate_pem: certificate.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// The authority `posture certs` wrote earlier.
    pub fn from_pem(certificate_pem: &str, private_key_pem: &str) -> Result<Self, TlsError> {
        let key = KeyPair::from_pem(private_key_pem)?;
        let issuer = Issuer::from_ca_cert_pem(certificate_pem, key)?;
        Ok(Self {
            certificate_pem: certificate_pem.to_owned(),
            issuer,
        })
    }

    /// Reads the authority from its certificate and key files.
    pub fn load(certificate: &Path, private_key: &Path) -> Result<Self, TlsError> {
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| TlsError::Read {
                path: path.to_owned(),
                source,
            })
        };
        Self::from_pem(&read(certificate)?, &read(private_key)?)
    }

    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    pub fn private_key_pem(&self) -> SecretString {
        SecretString::from(self.issuer.key().serialize_pem())
    }

    /// A certificate for a process running `roles`: one `<role>.posture.internal` DNS name each,
    /// usable to serve and to call.
    pub fn issue_roles(
        &self,
        roles: &[ServiceRole],
        valid_for: Duration,
    ) -> Result<IssuedCertificate, TlsError> {
        if roles.is_empty() {
            return Err(TlsError::Issue(
                "a role certificate needs at least one role".to_owned(),
            ));
        }
        let names = roles
            .iter()
            .map(|role| role_server_name(*role))
            .collect::<Vec<_>>();
        let common_name = roles
            .iter()
            .map(|role| role.as_str())
            .collect::<Vec<_>>()
            .join("+");
        let mut params = CertificateParams::new(names)?;
        params.distinguished_name = distinguished_name(&format!("posture {common_name}"));
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        self.issue(params, valid_for)
    }

    /// A server certificate for the public gateway under the names and addresses clients use.
    pub fn issue_server(
        &self,
        dns_names: &[String],
        addresses: &[IpAddr],
        valid_for: Duration,
    ) -> Result<IssuedCertificate, TlsError> {
        let mut params = CertificateParams::new(dns_names.to_vec())?;
        params
            .subject_alt_names
            .extend(addresses.iter().map(|address| SanType::IpAddress(*address)));
        if params.subject_alt_names.is_empty() {
            return Err(TlsError::Issue(
                "a server certificate needs a DNS name or an address".to_owned(),
            ));
        }
        let common_name = dns_names
            .first()
            .map_or_else(|| addresses[0].to_string(), Clone::clone);
        params.distinguished_name = distinguished_name(&common_name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.issue(params, valid_for)
    }

    /// A client certificate for callers of a gateway that requires them.
    pub fn issue_client(
        &self,
        common_name: &str,
        valid_for: Duration,
    ) -> Result<IssuedCertificate, TlsError> {
        let mut params = CertificateParams::default();
        params.distinguished_name = distinguished_name(common_name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.issue(params, valid_for)
    }

    fn issue(
        &self,
        mut params: CertificateParams,
        valid_for: Duration,
    ) -> Result<IssuedCertificate, TlsError> {
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.use_authority_key_identifier_extension = true;
        validity(&mut params, valid_for);
        let key = KeyPair::generate()?;
        let certificate = params.signed_by(&key, &self.issuer)?;
        Ok(IssuedCertificate {
            certificate_pem: certificate.pem(),
            private_key_pem: SecretString::from(key.serialize_pem()),
        })
    }
}

/// Writes a private key: created with mode 0600 (on Unix) before anything is written to it.
pub fn write_private(path: &Path, contents: &SecretString) -> Result<(), TlsError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let error = |source| TlsError::Write {
        path: path.to_owned(),
        source,
    };
    let mut file = options.open(path).map_err(error)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(error)?;
    }
    file.write_all(contents.expose_secret().as_bytes()).map_err(error)
}

/// Writes a certificate (public material).
pub fn write_public(path: &Path, contents: &str) -> Result<(), TlsError> {
    std::fs::write(path, contents).map_err(|source| TlsError::Write {
        path: path.to_owned(),
        source,
    })
}
