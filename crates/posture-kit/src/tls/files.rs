//! TLS material from PEM files, read again when the files change.
//!
//! cert-manager (through the kubelet) and `posture certs` replace certificate files in place; a
//! long-running process must pick the new ones up without a restart. Every new connection asks for
//! the current configuration, which costs a `stat` of each file; when any file's size, time or
//! inode changed, the configuration is built again. A change that does not build (a key written
//! before its certificate) keeps the previous configuration and is tried again on the next
//! connection, so a rotation is never half-applied.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::TlsError;

/// A certificate chain (leaf first), its private key and, optionally, a bundle of CA certificates
/// to trust, as PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PemFiles {
    pub certificate: PathBuf,
    pub private_key: PathBuf,
    pub ca: Option<PathBuf>,
}

/// What [`PemFiles`] hold, parsed.
pub(crate) struct Material {
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) key: PrivateKeyDer<'static>,
    pub(crate) ca: Vec<CertificateDer<'static>>,
}

impl PemFiles {
    pub(crate) fn paths(&self) -> Vec<PathBuf> {
        let mut paths = vec![self.certificate.clone(), self.private_key.clone()];
        paths.extend(self.ca.clone());
        paths
    }

    pub(crate) fn read(&self) -> Result<Material, TlsError> {
        Ok(Material {
            chain: read_certificates(&self.certificate)?,
            key: read_private_key(&self.private_key)?,
            ca: match &self.ca {
                Some(path) => read_certificates(path)?,
                None => Vec::new(),
            },
        })
    }
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Every certificate in a PEM file; at least one.
pub(crate) fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read_bytes(path)?;
    let certificates = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| TlsError::Pem {
            path: path.to_owned(),
            reason: error.to_string(),
        })?;
    if certificates.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(certificates)
}

fn read_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read_bytes(path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|error| match error {
        rustls_pki_types::pem::Error::NoItemsFound => TlsError::NoKey {
            path: path.to_owned(),
        },
        // The parser's message never quotes the key material.
        other => TlsError::Pem {
            path: path.to_owned(),
            reason: other.to_string(),
        },
    })
}

/// What identifies a version of a file without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let metadata = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&metadata);
    #[cfg(not(unix))]
    let inode = 0;
    Some(Stamp {
        modified: metadata.modified().ok(),
        len: metadata.len(),
        inode,
    })
}

type Build<T> = Box<dyn Fn() -> Result<T, TlsError> + Send + Sync>;

/// A value built from files and built again when they change.
pub(crate) struct Reloading<T> {
    paths: Vec<PathBuf>,
    build: Build<T>,
    state: Mutex<(Arc<T>, Vec<Option<Stamp>>)>,
}

impl<T> Reloading<T> {
    /// Builds the first value now: a process must not start with material it cannot use.
    pub(crate) fn new(
        paths: Vec<PathBuf>,
        build: impl Fn() -> Result<T, TlsError> + Send + Sync + 'static,
    ) -> Result<Self, TlsError> {
        let stamps = paths.iter().map(|path| stamp(path)).collect();
        let first = build()?;
        Ok(Self {
            paths,
            build: Box::new(build),
            state: Mutex::new((Arc::new(first), stamps)),
        })
    }

    pub(crate) fn current(&self) -> Arc<T> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let stamps: Vec<_> = self.paths.iter().map(|path| stamp(path)).collect();
        if stamps != state.1 {
            match (self.build)() {
                Ok(value) => {
                    tracing::info!(files = ?self.paths, "TLS files changed; new connections use them");
                    *state = (Arc::new(value), stamps);
                }
                Err(error) => {
                    tracing::warn!(%error, "TLS files changed but cannot be used yet; keeping the previous ones");
                }
            }
        }
        Arc::clone(&state.0)
    }
}

/// A TLS configuration that is either fixed (built in memory) or follows files.
pub(crate) enum Current<T> {
    Fixed(Arc<T>),
    Files(Arc<Reloading<T>>),
}

impl<T> Clone for Current<T> {
    fn clone(&self) -> Self {
        match self {
            Self::Fixed(value) => Self::Fixed(Arc::clone(value)),
            Self::Files(reloading) => Self::Files(Arc::clone(reloading)),
        }
    }
}

impl<T> Current<T> {
    pub(crate) fn get(&self) -> Arc<T> {
        match self {
            Self::Fixed(value) => Arc::clone(value),
            Self::Files(reloading) => reloading.current(),
        }
    }
}
