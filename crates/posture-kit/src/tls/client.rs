//! Calling gRPC over TLS: client configurations (internal: mutual TLS 1.3 presenting the role
//! certificate; edge: system roots plus an operator's CA file) and the connector tonic channels
//! dial through.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_util::rt::TokioIo;
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;

use super::files::{Current, Material, PemFiles, Reloading, read_certificates};
use super::{ALPN_H2, TlsError, provider};

/// How a client speaks TLS.
#[derive(Clone)]
pub struct ClientTls {
    config: Current<ClientConfig>,
}

impl std::fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTls").finish_non_exhaustive()
    }
}

pub(crate) fn internal_client_config(material: &Material) -> Result<ClientConfig, TlsError> {
    let mut roots = RootCertStore::empty();
    for certificate in &material.ca {
        roots.add(certificate.clone())?;
    }
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_root_certificates(roots)
        .with_client_auth_cert(material.chain.clone(), material.key.clone_key())?;
    config.alpn_protocols = vec![ALPN_H2.to_vec()];
    Ok(config)
}

impl ClientTls {
    /// For calling the public gateway: trusts the system's root certificates and, when given, the
    /// certificates in `extra_ca` (an internal or self-signed CA); presents `identity` (a
    /// certificate and key, `ca` unused) when the gateway requires client certificates.
    pub fn edge(extra_ca: Option<&Path>, identity: Option<&PemFiles>) -> Result<Self, TlsError> {
        let mut roots = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        for certificate in native.certs {
            // A malformed system certificate is skipped, as browsers do.
            let _ = roots.add(certificate);
        }
        if let Some(path) = extra_ca {
            for certificate in read_certificates(path)? {
                roots.add(certificate)?;
            }
        }
        if roots.is_empty() {
            return Err(TlsError::Config(
                "no trusted root certificates: the system has none; pass a CA file".to_owned(),
            ));
        }
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots);
        let mut config = match identity {
            Some(files) => {
                let material = files.read()?;
                builder.with_client_auth_cert(material.chain, material.key)?
            }
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![ALPN_H2.to_vec()];
        Ok(Self {
            config: Current::Fixed(Arc::new(config)),
        })
    }

    /// For calling other roles, from files reloaded when they change; `files.ca` is required.
    pub fn internal_from_files(files: PemFiles) -> Result<Self, TlsError> {
        if files.ca.is_none() {
            return Err(TlsError::Config(
                "internal TLS needs the CA file that issued the roles' certificates".to_owned(),
            ));
        }
        let paths = files.paths();
        let reloading = Reloading::new(paths, move || internal_client_config(&files.read()?))?;
        Ok(Self {
            config: Current::Files(Arc::new(reloading)),
        })
    }

    pub(crate) fn internal_fixed(material: &Material) -> Result<Self, TlsError> {
        Ok(Self {
            config: Current::Fixed(Arc::new(internal_client_config(material)?)),
        })
    }

    /// A connector for tonic's `Endpoint::connect_with_connector`. `server_name` is the name the
    /// server's certificate must carry; `None` uses the host of the address dialled.
    pub fn connector(&self, server_name: Option<String>) -> Result<TlsConnector, TlsError> {
        let server_name = server_name
            .map(|name| {
                ServerName::try_from(name.clone())
                    .map_err(|_| TlsError::Config(format!("`{name}` is not a valid TLS server name")))
            })
            .transpose()?;
        Ok(TlsConnector {
            tls: self.clone(),
            server_name,
        })
    }
}

/// Dials TCP and runs the TLS handshake; a tower service from URI to connection, as tonic wants.
#[derive(Clone)]
pub struct TlsConnector {
    tls: ClientTls,
    server_name: Option<ServerName<'static>>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl tower::Service<http::Uri> for TlsConnector {
    type Response = TokioIo<tokio_rustls::client::TlsStream<TcpStream>>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let config = self.tls.config.get();
        let fixed_name = self.server_name.clone();
        Box::pin(async move {
            let host = uri
                .host()
                .ok_or_else(|| format!("`{uri}` names no host"))?
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned();
            let port = uri
                .port_u16()
                .unwrap_or(if uri.scheme_str() == Some("http") { 80 } else { 443 });
            let name = match fixed_name {
                Some(name) => name,
                None => ServerName::try_from(host.clone())
                    .map_err(|_| format!("`{host}` is not a valid TLS server name"))?,
            };
            let tcp = TcpStream::connect((host.as_str(), port)).await?;
            let _ = tcp.set_nodelay(true);
            let stream = tokio_rustls::TlsConnector::from(config)
                .connect(name, tcp)
                .await?;
            Ok(TokioIo::new(stream))
        })
    }
}
