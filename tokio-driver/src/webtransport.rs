//! WebTransport over HTTP/3 on tokio (feature `webtransport`): the server's UDP listener
//! ([`WebTransportListener`], served by [`EngineServer::serve_webtransport`] and
//! [`SocketIoServer::serve_webtransport`](crate::SocketIoServer::serve_webtransport)), a
//! short-lived self-signed certificate for local development ([`DevCertificate`]), and the
//! client's WebTransport sessions ([`client`]).
//!
//! QUIC and HTTP/3 come from [wtransport](https://docs.rs/wtransport) (on quinn, rustls and
//! ring). Only bytes pass through here: the framing of packets on the stream, the handshake,
//! the upgrade from polling, heartbeats and close reasons are `sio_core`'s
//! ([`sio_core::engine::webtransport`] and the Engine.IO server and client). wtransport runs on
//! tokio only, so WebTransport is not offered by `sio-smol`.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use sio_tokio::webtransport::{DevCertificate, WebTransportListener};
//! use sio_tokio::{SocketIoConfig, SocketIoServer, Transports};
//!
//! let mut config = SocketIoConfig::default();
//! config.engine.transports = Transports::WITH_WEBTRANSPORT;
//! let io = SocketIoServer::new(config);
//! // Browsers take this certificate through `serverCertificateHashes` (see `hash`).
//! let cert = DevCertificate::generate(&["localhost", "127.0.0.1"]).expect("certificate");
//! let udp = WebTransportListener::bind("127.0.0.1:3000".parse().unwrap(), cert.identity())?;
//! tokio::spawn(io.clone().serve_webtransport(udp));
//! let tcp = tokio::net::TcpListener::bind("127.0.0.1:3000").await?; // the same port number
//! io.serve(tcp).await
//! # }
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sio_core::api::client::ClientBuilder;
use wtransport::endpoint::endpoint_side;
use wtransport::tls::self_signed::time::{Duration as CertDuration, OffsetDateTime};
use wtransport::tls::self_signed::SelfSignedIdentityBuilder;
pub use wtransport::tls::Sha256Digest;
pub use wtransport::Identity;
use wtransport::{Endpoint, ServerConfig};

use crate::EngineServer;

/// A self-signed certificate for local development: ECDSA P-256, valid from an hour ago for
/// 13 days, as browsers accept through `serverCertificateHashes` (at most 14 days of validity,
/// an ECDSA key), with its SHA-256 hash to hand them.
///
/// ```js
/// io(url, { transports: ["webtransport"], transportOptions: { webtransport: {
///   serverCertificateHashes: [{ algorithm: "sha-256", value: new Uint8Array(HASH) }] } } });
/// ```
///
/// Generate a new one each time the server starts (it expires): it is not for production,
/// where a certificate from a certificate authority is loaded with
/// [`Identity::load_pemfiles`].
#[derive(Debug)]
pub struct DevCertificate {
    identity: Identity,
}

/// The certificate could not be made (a name that is neither a DNS name nor an address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidName;

impl std::fmt::Display for InvalidName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid subject alternative name")
    }
}

impl std::error::Error for InvalidName {}

impl DevCertificate {
    /// A new certificate (and key) for these host names and addresses.
    pub fn generate(names: &[&str]) -> Result<Self, InvalidName> {
        // An hour of slack for a browser whose clock is a little behind; 13 days in all.
        let not_before = OffsetDateTime::now_utc() - CertDuration::hours(1);
        let identity = SelfSignedIdentityBuilder::new()
            .subject_alt_names(names)
            .not_before(not_before)
            .offset_from_not_before(CertDuration::days(13))
            .build()
            .map_err(|_| InvalidName)?;
        Ok(DevCertificate { identity })
    }

    /// The identity (certificate chain and key) to serve with.
    pub fn identity(&self) -> Identity {
        self.identity.clone_identity()
    }

    /// The SHA-256 hash of the certificate, for `serverCertificateHashes` (browsers) or
    /// [`ClientOptions::server_certificate_hashes`] (sio's client).
    pub fn hash(&self) -> Sha256Digest {
        self.identity
            .certificate_chain()
            .as_slice()
            .first()
            .map(|c| c.hash())
            .unwrap_or_else(|| Sha256Digest::new([0; 32]))
    }

    /// The hash's 32 bytes.
    pub fn hash_bytes(&self) -> [u8; 32] {
        *self.hash().as_ref()
    }

    /// The certificate as PEM (for another process, or a file: see
    /// [`Identity::load_pemfiles`]).
    pub fn certificate_pem(&self) -> String {
        self.identity
            .certificate_chain()
            .as_slice()
            .iter()
            .map(|c| c.to_pem())
            .collect()
    }

    /// The private key as PEM (PKCS #8). Keep it secret.
    pub fn private_key_pem(&self) -> String {
        self.identity.private_key().to_secret_pem()
    }
}

/// A UDP socket accepting WebTransport sessions (HTTP/3 over QUIC) with a TLS identity.
pub struct WebTransportListener {
    endpoint: Endpoint<endpoint_side::Server>,
}

impl std::fmt::Debug for WebTransportListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebTransportListener")
            .field("local_addr", &self.endpoint.local_addr().ok())
            .finish()
    }
}

impl WebTransportListener {
    /// Binds `addr` (UDP) with `identity` (a certificate chain and key: one from a certificate
    /// authority, or a [`DevCertificate`]). Call inside a tokio runtime.
    pub fn bind(addr: SocketAddr, identity: Identity) -> std::io::Result<Self> {
        let config = ServerConfig::builder()
            .with_bind_address(addr)
            .with_identity(identity)
            // The Engine.IO heartbeat (25 s) keeps sessions busy; QUIC's own idle timeout
            // only frees what the heartbeat has not (a peer gone before its handshake).
            .max_idle_timeout(Some(Duration::from_secs(60)))
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?
            .build();
        Ok(WebTransportListener {
            endpoint: Endpoint::server(config)?,
        })
    }

    /// The address it is bound to (the port, when bound to port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.endpoint.local_addr()
    }
}

impl EngineServer {
    /// Serves WebTransport sessions from `listener` until [`shutdown`](Self::shutdown):
    /// sessions on the server's path run as Engine.IO sessions (handshake or upgrade from
    /// polling); other paths get 404. The server's config must enable
    /// [`Transports::webtransport`](crate::Transports::webtransport). Browsers connect to the
    /// HTTP server's port number, so bind the UDP port to the TCP listener's.
    pub async fn serve_webtransport(self, listener: WebTransportListener) -> std::io::Result<()> {
        let mut stop = self.stop_signal();
        loop {
            if *stop.borrow_and_update() {
                listener.endpoint.close(0u32.into(), b"");
                return Ok(());
            }
            let incoming = tokio::select! {
                incoming = listener.endpoint.accept() => incoming,
                _ = stop.changed() => continue,
            };
            tokio::spawn(crate::wt_loop::run(self.io().clone(), incoming));
        }
    }
}

/// How sio's client checks a WebTransport server's certificate.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Accept exactly the certificates with these SHA-256 hashes (each valid for at most 14
    /// days), as browsers' `serverCertificateHashes`; empty: verify against the system's
    /// root certificates.
    pub server_certificate_hashes: Vec<Sha256Digest>,
}

/// A client builder for the server at `url` whose WebTransport sessions (transport
/// [`TransportKind::WebTransport`](crate::TransportKind::WebTransport), first or by upgrade)
/// check the server as `options` says. Everything else is [`client::client`](crate::client::client)'s.
pub fn client(url: &str, options: ClientOptions) -> ClientBuilder {
    crate::client::builder(url, Arc::new(options))
}
