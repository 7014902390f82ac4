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
    Message, UrlError,
};
use sio_core::api::client::{BoxFut, ClientIo, HttpRequest, WsConnection, WsRequest};
pub use sio_core::api::socketio::AckError;
use sio_core::engine::client::HttpResult;
pub use sio_core::socket::client::SocketConfig;

use crate::client_io;

/// A client builder for the server at `url`, running on the current tokio runtime.
pub fn client(url: &str) -> ClientBuilder {
    ClientBuilder::new(
        url,
        Arc::new(crate::socketio::Tokio),
        Arc::new(TokioClientIo),
    )
}

/// HTTP, WebSocket and timer on tokio.
#[derive(Debug, Clone, Copy)]
struct TokioClientIo;

impl ClientIo for TokioClientIo {
    fn http(&self, req: HttpRequest) -> BoxFut<HttpResult> {
        Box::pin(async move {
            let addr = (req.endpoint.host.clone(), req.endpoint.port);
            if req.endpoint.secure {
                return HttpResult::Failed(
                    "https needs TLS, which sio-tokio does not have yet".into(),
                );
            }
            let tcp = match tokio::net::TcpStream::connect(addr).await {
                Ok(t) => t,
                Err(e) => return HttpResult::Failed(e.to_string()),
            };
            let _ = tcp.set_nodelay(true);
            client_io::http_request(
                TokioIo::new(tcp),
                |f| {
                    tokio::spawn(f);
                },
                req,
            )
            .await
        })
    }

    fn websocket(&self, req: WsRequest) -> BoxFut<Result<Box<dyn WsConnection>, String>> {
        Box::pin(async move {
            if req.endpoint.secure {
                return Err("wss needs TLS, which sio-tokio does not have yet".into());
            }
            let addr = (req.endpoint.host.clone(), req.endpoint.port);
            let tcp = tokio::net::TcpStream::connect(addr)
                .await
                .map_err(|e| e.to_string())?;
            let _ = tcp.set_nodelay(true);
            client_io::websocket(async_tungstenite::tokio::TokioAdapter::new(tcp), req).await
        })
    }

    fn sleep_until(&self, deadline: Instant) -> BoxFut<()> {
        Box::pin(tokio::time::sleep_until(tokio::time::Instant::from_std(
            deadline,
        )))
    }
}
