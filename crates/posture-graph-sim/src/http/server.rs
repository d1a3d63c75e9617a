//! The listener: plain HTTP or TLS on one port, HTTP/1.1 and HTTP/2, one task per connection.
//! A handler can ask for its connection to be closed without a response (dropped-connection
//! fault), which ends the connection task.

use std::convert::Infallible;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::route;
use crate::error::SimError;
use crate::state::SimState;

pub fn tls_acceptor(cert: &std::path::Path, key: &std::path::Path) -> Result<TlsAcceptor, SimError> {
    let cert_pem =
        std::fs::read(cert).map_err(|e| SimError::Tls(format!("reading {}: {e}", cert.display())))?;
    let key_pem = std::fs::read(key).map_err(|e| SimError::Tls(format!("reading {}: {e}", key.display())))?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| SimError::Tls(format!("certificate PEM: {e}")))?;
    if certs.is_empty() {
        return Err(SimError::Tls(format!("no certificate in {}", cert.display())));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| match e {
        pem::Error::NoItemsFound => SimError::Tls(format!("no private key in {}", key.display())),
        e => SimError::Tls(format!("key PEM: {e}")),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SimError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| SimError::Tls(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    state: Arc<SimState>,
    stop: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => return,
            a = listener.accept() => a,
        };
        let Ok((stream, _peer)) = accepted else { continue };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let tls = tls.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            match tls {
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(s) => serve_connection(TokioIo::new(s), state, true, stop).await,
                    Err(e) => tracing::debug!(error = %e, "TLS handshake failed"),
                },
                None => serve_connection(TokioIo::new(stream), state, false, stop).await,
            }
        });
    }
}

async fn serve_connection<I>(io: I, state: Arc<SimState>, tls: bool, stop: CancellationToken)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let drop_signal = Arc::new(Notify::new());
    let signal = drop_signal.clone();
    let service = service_fn(move |req: hyper::Request<Incoming>| {
        let state = state.clone();
        let signal = signal.clone();
        async move { Ok::<_, Infallible>(route::handle(state, req, tls, signal).await) }
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(io, service);
    tokio::select! {
        r = conn => { if let Err(e) = r { tracing::debug!(error = %e, "connection ended with an error"); } }
        _ = drop_signal.notified() => {}
        _ = stop.cancelled() => {}
    }
}
