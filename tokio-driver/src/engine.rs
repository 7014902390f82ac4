//! [`EngineServer`]: an Engine.IO server on tokio.

use std::convert::Infallible;
use std::sync::Arc;
use tracing::Instrument;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use sio_core::api::{EngineIo, EngineSession, HttpAnswer};
use sio_core::engine::server::ServerConfig;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// An Engine.IO server: accepts sessions over long-polling and WebSocket on its path.
///
/// Cloning shares the server. Create it inside a tokio runtime (it spawns its timer task).
#[derive(Clone)]
pub struct EngineServer {
    inner: Arc<Inner>,
}

struct Inner {
    io: EngineIo,
    timer: JoinHandle<()>,
    /// Becomes `true` on shutdown; a `watch` keeps the value, so a `serve` started later (or
    /// between two accepts) still sees it.
    stop: watch::Sender<bool>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.timer.abort();
    }
}

impl std::fmt::Debug for EngineServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineServer").finish_non_exhaustive()
    }
}

impl EngineServer {
    /// A server with `config`.
    pub fn new(config: ServerConfig) -> Self {
        Self::from_io(EngineIo::new(config))
    }

    /// Serves an existing shared state machine (the Socket.IO server's).
    pub(crate) fn from_io(io: EngineIo) -> Self {
        let timer = tokio::spawn(crate::timer::run(io.clone()));
        EngineServer {
            inner: Arc::new(Inner {
                io,
                timer,
                stop: watch::channel(false).0,
            }),
        }
    }

    /// The shared state machine, for layers built on top.
    pub fn io(&self) -> &EngineIo {
        &self.inner.io
    }

    /// The next new session; `None` after [`shutdown`](Self::shutdown).
    pub async fn accept(&self) -> Option<EngineSession> {
        self.inner.io.accept().await
    }

    /// Whether requests to `path` are for this server.
    pub fn handles_path(&self, path: &str) -> bool {
        self.inner.io.handles_path(path)
    }

    /// Serves HTTP/1.1 on `listener` until [`shutdown`](Self::shutdown); other paths get 404.
    ///
    /// Returns `Ok` once shut down. A failed accept does not end it: a connection's own error
    /// is passed over, any other (out of file descriptors, say) logged and retried after a
    /// second ([`sio_io::accept`]).
    pub async fn serve(self, listener: TcpListener) -> std::io::Result<()> {
        let mut stop = self.inner.stop.subscribe();
        loop {
            if *stop.borrow_and_update() {
                return Ok(());
            }
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = stop.changed() => continue,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    if let Some(delay) = sio_io::accept::retry_delay(&e) {
                        tokio::select! {
                            _ = tokio::time::sleep(delay) => {}
                            _ = stop.changed() => {}
                        }
                    }
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let stream = crate::stall::StallGuard::new(stream, self.inner.io.write_timeout());
            let this = self.clone();
            // Everything sio logs for this connection (its WebSocket's task too) carries the
            // peer's address.
            let span = tracing::info_span!("sio_connection", peer = %peer);
            let connection = async move {
                let service = service_fn(move |mut req: Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(sio_io::http::PeerAddr(peer));
                    let this = this.clone();
                    async move { Ok::<_, Infallible>(this.handle(req).await) }
                });
                // hyper's header-read timeout (30 s) needs a timer to be enforced: a client
                // dribbling its request head must not hold the connection forever.
                let _ = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades()
                    .await;
            };
            tokio::spawn(connection.instrument(span));
        }
    }

    /// Becomes `true` on [`shutdown`](Self::shutdown), for the serving loops.
    #[cfg_attr(not(feature = "webtransport"), allow(dead_code))]
    pub(crate) fn stop_signal(&self) -> watch::Receiver<bool> {
        self.inner.stop.subscribe()
    }

    /// Closes every session ("server shutting down") and stops [`serve`](Self::serve).
    pub fn shutdown(&self) {
        self.inner.io.shutdown();
        self.inner.stop.send_replace(true);
    }

    /// Answers one HTTP request on the server's path (any body type).
    pub async fn handle<B>(&self, req: Request<B>) -> Response<Full<Bytes>>
    where
        B: Body + Unpin,
        B::Data: Into<Bytes>,
    {
        let io = &self.inner.io;
        let d = sio_io::http::dispatch(io, req, crate::now).await;
        match d.answer {
            // A refused upgrade's response carries `Connection: close` from the core.
            HttpAnswer::Response(r) | HttpAnswer::RefuseWebSocket(r) => sio_io::http::response(r),
            HttpAnswer::AcceptWebSocket { deflate } => {
                tokio::spawn(
                    crate::ws::run(io.clone(), d.id, d.on_upgrade, deflate).in_current_span(),
                );
                sio_io::http::switching_protocols(&d.head, deflate.as_ref())
            }
        }
    }
}
