//! The Socket.IO client on smol: [`client`] gives a [`ClientBuilder`] whose HTTP requests,
//! WebSockets, timer and handlers run on smol's global executor ([`client_on`] takes the
//! application's executor instead).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use sio_smol::client::{ClientSocket, Message};
//!
//! smol::block_on(async {
//!     let client = sio_smol::client::client("http://127.0.0.1:3000").build()?;
//!     let socket = client.socket("/");
//!     socket.on("hello", |_socket: ClientSocket, msg: Message| async move {
//!         println!("hello {:?}", msg.arg::<String>(0));
//!     });
//!     socket.connect();
//!     let answer = socket.emit_with_ack("question", &42).await?;
//!     println!("the server answered {}", answer.json());
//!     Ok(())
//! })
//! # }
//! ```

use std::sync::Arc;
use std::time::Instant;

pub use sio_core::api::client::{
    Auth, Client, ClientBuilder, ClientEvent, ClientSocket, ConnectErrorInfo, DisconnectReason,
    EmitError, Message, UrlError,
};
use sio_core::api::client::{BoxFut, ClientIo, HttpRequest, WsConnection, WsRequest};
pub use sio_core::api::socketio::AckError;
use sio_core::engine::client::HttpResult;
pub use sio_core::socket::client::{EmitError as RefusedEmit, SocketConfig};
use smol::Executor;

#[cfg(feature = "tls")]
pub use rustls;
use sio_io::client_io;
#[cfg(feature = "tls")]
pub use sio_io::client_tls::{default_tls_config, tls_config_with_roots};

#[cfg(not(feature = "tls"))]
const NO_TLS: &str = "https/wss needs the `tls` feature of sio-smol";
use crate::engine::Spawner;
use crate::io::FuturesIo;
use crate::socketio::Smol;
use crate::tcp::TcpConn;

/// A client builder for the server at `url`, its tasks on smol's global executor. With the
/// `tls` feature, `https`/`wss` URLs are verified against the webpki roots.
pub fn client(url: &str) -> ClientBuilder {
    builder(url, Spawner::Global, None)
}

/// A client builder for the server at `url`, its tasks on `executor` (which the application
/// runs).
pub fn client_on(url: &str, executor: Arc<Executor<'static>>) -> ClientBuilder {
    builder(url, Spawner::Executor(executor), None)
}

/// A client builder for the server at `url` with these TLS settings (for instance
/// [`tls_config_with_roots`] to trust a private CA), on smol's global executor.
#[cfg(feature = "tls")]
pub fn client_with_tls(url: &str, tls: Arc<rustls::ClientConfig>) -> ClientBuilder {
    builder(url, Spawner::Global, Some(tls))
}

#[cfg(feature = "tls")]
type Tls = Option<Arc<rustls::ClientConfig>>;
#[cfg(not(feature = "tls"))]
type Tls = Option<()>;

fn builder(url: &str, spawner: Spawner, _tls: Tls) -> ClientBuilder {
    let io = SmolClientIo {
        spawner: Arc::new(match &spawner {
            Spawner::Global => Spawner::Global,
            Spawner::Executor(e) => Spawner::Executor(e.clone()),
        }),
        pool: Arc::default(),
        #[cfg(feature = "tls")]
        tls: _tls.unwrap_or_else(default_tls_config),
    };
    ClientBuilder::new(url, Arc::new(Smol { spawner }), Arc::new(io))
}

/// HTTP, WebSocket and timer on smol.
#[derive(Clone)]
struct SmolClientIo {
    spawner: Arc<Spawner>,
    pool: Arc<client_io::Pool>,
    #[cfg(feature = "tls")]
    tls: Arc<rustls::ClientConfig>,
}

async fn tcp(host: &str, port: u16) -> Result<TcpConn, String> {
    let tcp = smol::net::TcpStream::connect((host, port))
        .await
        .map_err(|e| e.to_string())?;
    let _ = tcp.set_nodelay(true);
    Ok(TcpConn::from(tcp))
}

impl SmolClientIo {
    /// The TLS stream over a new connection to the endpoint.
    #[cfg(feature = "tls")]
    async fn tls(
        &self,
        host: &str,
        port: u16,
    ) -> Result<futures_rustls::client::TlsStream<TcpConn>, String> {
        let tcp = tcp(host, port).await?;
        let name = sio_io::client_tls::server_name(host)?;
        futures_rustls::TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| e.to_string())
    }

    async fn http(self, req: HttpRequest) -> Result<HttpResult, String> {
        let (host, port) = (req.endpoint.host.clone(), req.endpoint.port);
        let spawner = self.spawner.clone();
        let spawn = move |f| spawner.spawn(f).detach();
        let pool = self.pool.clone();
        if req.endpoint.secure {
            #[cfg(feature = "tls")]
            {
                let connect = || async { Ok(FuturesIo::new(self.tls(&host, port).await?)) };
                return Ok(client_io::http_request(&pool, connect, spawn, req).await);
            }
            #[cfg(not(feature = "tls"))]
            return Err(NO_TLS.into());
        }
        let connect = || async { Ok(FuturesIo::vectored(tcp(&host, port).await?)) };
        Ok(client_io::http_request(&pool, connect, spawn, req).await)
    }

    async fn websocket(self, req: WsRequest) -> Result<Box<dyn WsConnection>, String> {
        let (host, port) = (req.endpoint.host.clone(), req.endpoint.port);
        if req.endpoint.secure {
            #[cfg(feature = "tls")]
            {
                let tls = self.tls(&host, port).await?;
                return client_io::websocket(tls, req).await;
            }
            #[cfg(not(feature = "tls"))]
            return Err(NO_TLS.into());
        }
        let tcp = tcp(&host, port).await?;
        client_io::websocket(tcp, req).await
    }
}

impl ClientIo for SmolClientIo {
    fn http(&self, req: HttpRequest) -> BoxFut<HttpResult> {
        let this = self.clone();
        Box::pin(async move { this.http(req).await.unwrap_or_else(HttpResult::Failed) })
    }

    fn websocket(&self, req: WsRequest) -> BoxFut<Result<Box<dyn WsConnection>, String>> {
        let this = self.clone();
        Box::pin(this.websocket(req))
    }

    fn sleep_until(&self, deadline: Instant) -> BoxFut<()> {
        Box::pin(async move {
            smol::Timer::at(deadline).await;
        })
    }
}
