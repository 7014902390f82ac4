//! The Socket.IO client on tokio: [`client`] gives a [`ClientBuilder`] whose HTTP requests,
//! WebSockets and timer run on tokio.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use sio_tokio::client::{ClientSocket, Message};
//!
//! let client = sio_tokio::client::client("http://127.0.0.1:3000").build()?;
//! let socket = client.socket("/");
//! socket.on("hello", |_socket: ClientSocket, msg: Message| async move {
//!     println!("hello {:?}", msg.arg::<String>(0));
//! });
//! socket.connect();
//! let answer = socket.emit_with_ack("question", &42).await?;
//! println!("the server answered {}", answer.json());
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::time::Instant;

use hyper_util::rt::TokioIo;
pub use sio_core::api::client::{
    Auth, Client, ClientBuilder, ClientEvent, ClientSocket, ConnectErrorInfo, DisconnectReason,
    EmitError, Message, UrlError,
};
use sio_core::api::client::{BoxFut, ClientIo, HttpRequest, WsConnection, WsRequest};
pub use sio_core::api::socketio::AckError;
use sio_core::engine::client::HttpResult;
pub use sio_core::socket::client::{EmitError as RefusedEmit, SocketConfig};

use sio_io::client_io;

#[cfg(feature = "tls")]
pub use rustls;
#[cfg(feature = "tls")]
pub use sio_io::client_tls::{default_tls_config, tls_config_with_roots};

#[cfg(not(feature = "tls"))]
const NO_TLS: &str = "https/wss needs the `tls` feature of sio-tokio";

/// A client builder for the server at `url`, running on the current tokio runtime. With the
/// `tls` feature, `https`/`wss` URLs are verified against the webpki roots.
/// With the `webtransport` feature, WebTransport sessions are verified against the system's
/// roots (see [`webtransport::client`](crate::webtransport::client) for certificate hashes).
pub fn client(url: &str) -> ClientBuilder {
    let io = TokioClientIo {
        pool: Arc::default(),
        #[cfg(feature = "tls")]
        tls: default_tls_config(),
        #[cfg(feature = "webtransport")]
        wt: Arc::default(),
    };
    ClientBuilder::new(url, Arc::new(crate::socketio::Tokio), Arc::new(io))
}

/// [`client`] with these WebTransport options.
#[cfg(feature = "webtransport")]
pub(crate) fn builder(url: &str, wt: Arc<crate::webtransport::ClientOptions>) -> ClientBuilder {
    let io = TokioClientIo {
        pool: Arc::default(),
        #[cfg(feature = "tls")]
        tls: default_tls_config(),
        wt,
    };
    ClientBuilder::new(url, Arc::new(crate::socketio::Tokio), Arc::new(io))
}

/// A client builder for the server at `url` with these TLS settings (for instance
/// [`tls_config_with_roots`] to trust a private CA).
#[cfg(feature = "tls")]
pub fn client_with_tls(url: &str, tls: Arc<rustls::ClientConfig>) -> ClientBuilder {
    let io = TokioClientIo {
        pool: Arc::default(),
        tls,
        #[cfg(feature = "webtransport")]
        wt: Arc::default(),
    };
    ClientBuilder::new(url, Arc::new(crate::socketio::Tokio), Arc::new(io))
}

/// HTTP, WebSocket and timer on tokio.
#[derive(Clone)]
struct TokioClientIo {
    pool: Arc<client_io::Pool>,
    #[cfg(feature = "tls")]
    tls: Arc<rustls::ClientConfig>,
    #[cfg(feature = "webtransport")]
    wt: Arc<crate::webtransport::ClientOptions>,
}

fn spawn(f: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>) {
    tokio::spawn(f);
}

async fn tcp(host: &str, port: u16) -> Result<tokio::net::TcpStream, String> {
    let tcp = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|e| e.to_string())?;
    let _ = tcp.set_nodelay(true);
    Ok(tcp)
}

impl TokioClientIo {
    /// The TLS stream over a new connection to the endpoint.
    #[cfg(feature = "tls")]
    async fn tls(
        &self,
        host: &str,
        port: u16,
    ) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, String> {
        let tcp = tcp(host, port).await?;
        let name = sio_io::client_tls::server_name(host)?;
        tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| e.to_string())
    }

    async fn http(self, req: HttpRequest) -> Result<HttpResult, String> {
        let (host, port) = (req.endpoint.host.clone(), req.endpoint.port);
        let pool = self.pool.clone();
        if req.endpoint.secure {
            #[cfg(feature = "tls")]
            {
                let connect = || async { Ok(TokioIo::new(self.tls(&host, port).await?)) };
                return Ok(client_io::http_request(&pool, connect, spawn, req).await);
            }
            #[cfg(not(feature = "tls"))]
            return Err(NO_TLS.into());
        }
        let connect = || async { Ok(TokioIo::new(tcp(&host, port).await?)) };
        Ok(client_io::http_request(&pool, connect, spawn, req).await)
    }

    async fn websocket(self, req: WsRequest) -> Result<Box<dyn WsConnection>, String> {
        let (host, port) = (req.endpoint.host.clone(), req.endpoint.port);
        if req.endpoint.secure {
            #[cfg(feature = "tls")]
            {
                let tls = self.tls(&host, port).await?;
                let stream = async_tungstenite::tokio::TokioAdapter::new(tls);
                return client_io::websocket(stream, req).await;
            }
            #[cfg(not(feature = "tls"))]
            return Err(NO_TLS.into());
        }
        let tcp = tcp(&host, port).await?;
        client_io::websocket(async_tungstenite::tokio::TokioAdapter::new(tcp), req).await
    }
}

impl ClientIo for TokioClientIo {
    fn http(&self, req: HttpRequest) -> BoxFut<HttpResult> {
        let this = self.clone();
        Box::pin(async move { this.http(req).await.unwrap_or_else(HttpResult::Failed) })
    }

    fn websocket(&self, req: WsRequest) -> BoxFut<Result<Box<dyn WsConnection>, String>> {
        let this = self.clone();
        Box::pin(this.websocket(req))
    }

    #[cfg(feature = "webtransport")]
    fn webtransport(
        &self,
        req: sio_core::api::client::WtRequest,
    ) -> BoxFut<Result<Box<dyn sio_core::api::client::WtConnection>, String>> {
        Box::pin(crate::wt_client::connect(self.wt.clone(), req))
    }

    fn sleep_until(&self, deadline: Instant) -> BoxFut<()> {
        Box::pin(tokio::time::sleep_until(tokio::time::Instant::from_std(
            deadline,
        )))
    }
}
