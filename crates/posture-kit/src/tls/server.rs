//! Serving gRPC over TLS: the server configurations (internal: mutual TLS 1.3 with role
//! certificates; edge: the operator's certificate, client certificates optional) and the stream of
//! handshaken connections tonic serves.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;

use super::files::{Current, Material, PemFiles, Reloading};
use super::{ALPN_H2, PeerIdentity, TlsConnectInfo, TlsError, provider};

/// A client that opens a connection and never finishes the handshake is dropped after this.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How a gRPC server speaks TLS.
#[derive(Clone)]
pub struct ServerTls {
    config: Current<ServerConfig>,
    /// Internal servers read the caller's roles from its certificate.
    identify_roles: bool,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("identify_roles", &self.identify_roles)
            .finish_non_exhaustive()
    }
}

fn roots(certificates: &[rustls_pki_types::CertificateDer<'static>]) -> Result<Arc<RootCertStore>, TlsError> {
    let mut roots = RootCertStore::empty();
    for certificate in certificates {
        roots.add(certificate.clone())?;
    }
    Ok(Arc::new(roots))
}

/// Mutual TLS 1.3: present `material`'s certificate, require one issued by its CA.
pub(crate) fn internal_server_config(material: &Material) -> Result<ServerConfig, TlsError> {
    let verifier = WebPkiClientVerifier::builder_with_provider(roots(&material.ca)?, provider())
        .build()
        .map_err(|error| TlsError::Config(error.to_string()))?;
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(material.chain.clone(), material.key.clone_key())?;
    config.alpn_protocols = vec![ALPN_H2.to_vec()];
    Ok(config)
}

fn edge_server_config(material: &Material) -> Result<ServerConfig, TlsError> {
    let builder = ServerConfig::builder_with_provider(provider()).with_safe_default_protocol_versions()?;
    let builder = if material.ca.is_empty() {
        builder.with_no_client_auth()
    } else {
        let verifier = WebPkiClientVerifier::builder_with_provider(roots(&material.ca)?, provider())
            .build()
            .map_err(|error| TlsError::Config(error.to_string()))?;
        builder.with_client_cert_verifier(verifier)
    };
    let mut config = builder.with_single_cert(material.chain.clone(), material.key.clone_key())?;
    config.alpn_protocols = vec![ALPN_H2.to_vec()];
    Ok(config)
}

impl ServerTls {
    /// The internal server of a role process, from files (reloaded when they change); `files.ca`
    /// is required: it is the authority callers' certificates must come from.
    pub fn internal_from_files(files: PemFiles) -> Result<Self, TlsError> {
        if files.ca.is_none() {
            return Err(TlsError::Config(
                "internal TLS needs the CA file that issued the roles' certificates".to_owned(),
            ));
        }
        let paths = files.paths();
        let reloading = Reloading::new(paths, move || internal_server_config(&files.read()?))?;
        Ok(Self {
            config: Current::Files(Arc::new(reloading)),
            identify_roles: true,
        })
    }

    pub(crate) fn internal_fixed(material: &Material) -> Result<Self, TlsError> {
        Ok(Self {
            config: Current::Fixed(Arc::new(internal_server_config(material)?)),
            identify_roles: true,
        })
    }

    /// The public gateway: the operator's certificate, reloaded when it changes; when `files.ca`
    /// is set, clients must present a certificate it issued.
    pub fn edge_from_files(files: PemFiles) -> Result<Self, TlsError> {
        let paths = files.paths();
        let reloading = Reloading::new(paths, move || edge_server_config(&files.read()?))?;
        Ok(Self {
            config: Current::Files(Arc::new(reloading)),
            identify_roles: false,
        })
    }

    fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.config.get())
    }
}

/// One accepted, handshaken connection.
pub struct TlsConnection {
    stream: tokio_rustls::server::TlsStream<TcpStream>,
    info: TlsConnectInfo,
}

impl Connected for TlsConnection {
    type ConnectInfo = TlsConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.info.clone()
    }
}

impl AsyncRead for TlsConnection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConnection {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// Accepts TCP connections on `listener` and hands over those whose TLS handshake succeeds.
/// Handshakes run concurrently, each bounded by a timeout, so a slow or silent client holds up
/// nobody else; a failed one is logged and dropped. Stops accepting when `shutdown` is cancelled.
pub fn tls_incoming(
    listener: TcpListener,
    tls: ServerTls,
    shutdown: CancellationToken,
) -> impl Stream<Item = Result<TlsConnection, io::Error>> + Send + 'static {
    let (sender, receiver) = tokio::sync::mpsc::channel::<TlsConnection>(64);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                () = shutdown.cancelled() => break,
                accepted = listener.accept() => accepted,
            };
            let (tcp, remote) = match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: pause instead of spinning.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = tls.acceptor();
            let identify_roles = tls.identify_roles;
            let sender = sender.clone();
            tokio::spawn(async move {
                let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => stream,
                    Ok(Err(error)) => {
                        tracing::warn!(%remote, %error, "TLS handshake refused");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%remote, "TLS handshake timed out");
                        return;
                    }
                };
                let leaf = stream
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|chain| chain.first());
                let peer = if identify_roles {
                    leaf.and_then(PeerIdentity::from_certificate).map(Arc::new)
                } else {
                    None
                };
                let info = TlsConnectInfo {
                    remote_addr: Some(remote),
                    peer,
                    client_certificate: leaf.is_some(),
                };
                let _ = sender.send(TlsConnection { stream, info }).await;
            });
        }
    });
    futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|connection| (Ok(connection), receiver))
    })
}
