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
    Message, UrlError,
};
use sio_core::api::client::{BoxFut, ClientIo, HttpRequest, WsConnection, WsRequest};
pub use sio_core::api::socketio::AckError;
use sio_core::engine::client::HttpResult;
pub use sio_core::socket::client::SocketConfig;
use smol::Executor;
use smol_hyper::rt::FuturesIo;

use crate::client_io;
use crate::engine::Spawner;
use crate::socketio::Smol;

/// A client builder for the server at `url`, its tasks on smol's global executor.
pub fn client(url: &str) -> ClientBuilder {
    builder(url, Spawner::Global)
}

/// A client builder for the server at `url`, its tasks on `executor` (which the application
/// runs).
pub fn client_on(url: &str, executor: Arc<Executor<'static>>) -> ClientBuilder {
    builder(url, Spawner::Executor(executor))
}

fn builder(url: &str, spawner: Spawner) -> ClientBuilder {
    let io = SmolClientIo {
        spawner: Arc::new(match &spawner {
            Spawner::Global => Spawner::Global,
            Spawner::Executor(e) => Spawner::Executor(e.clone()),
        }),
    };
    ClientBuilder::new(url, Arc::new(Smol { spawner }), Arc::new(io))
}

/// HTTP, WebSocket and timer on smol.
struct SmolClientIo {
    spawner: Arc<Spawner>,
}

impl ClientIo for SmolClientIo {
    fn http(&self, req: HttpRequest) -> BoxFut<HttpResult> {
        let spawner = self.spawner.clone();
        Box::pin(async move {
            if req.endpoint.secure {
                return HttpResult::Failed(
                    "https needs TLS, which sio-smol does not have yet".into(),
                );
            }
            let addr = (req.endpoint.host.clone(), req.endpoint.port);
            let tcp = match smol::net::TcpStream::connect(addr).await {
                Ok(t) => t,
                Err(e) => return HttpResult::Failed(e.to_string()),
            };
            let _ = tcp.set_nodelay(true);
            client_io::http_request(FuturesIo::new(tcp), move |f| spawner.spawn(f).detach(), req)
                .await
        })
    }

    fn websocket(&self, req: WsRequest) -> BoxFut<Result<Box<dyn WsConnection>, String>> {
        Box::pin(async move {
            if req.endpoint.secure {
                return Err("wss needs TLS, which sio-smol does not have yet".into());
            }
            let addr = (req.endpoint.host.clone(), req.endpoint.port);
            let tcp = smol::net::TcpStream::connect(addr)
                .await
                .map_err(|e| e.to_string())?;
            let _ = tcp.set_nodelay(true);
            client_io::websocket(tcp, req).await
        })
    }

    fn sleep_until(&self, deadline: Instant) -> BoxFut<()> {
        Box::pin(async move {
            smol::Timer::at(deadline).await;
        })
    }
}
