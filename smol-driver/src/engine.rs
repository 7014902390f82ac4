//! [`EngineServer`]: an Engine.IO server on smol.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use tracing::Instrument;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use sio_core::api::{EngineIo, EngineSession, HttpAnswer};
use sio_core::engine::server::ServerConfig;
use smol::channel::{Receiver, Sender};
use smol::net::TcpListener;
use smol::{Executor, Task};

use crate::io::FuturesIo;

/// An Engine.IO server: accepts sessions over long-polling and WebSocket on its path.
///
/// Cloning shares the server. Its tasks (the timer, one per connection, one per WebSocket) run
/// on smol's global executor ([`new`](Self::new)) or on the executor you give it
/// ([`with_executor`](Self::with_executor)). Dropping the last clone stops the timer.
#[derive(Clone)]
pub struct EngineServer {
    inner: Arc<Inner>,
}

struct Inner {
    io: EngineIo,
    spawner: Spawner,
    /// Dropping the task cancels it.
    _timer: Task<()>,
    /// Closed by [`EngineServer::shutdown`]; nothing is ever sent.
    stop: Sender<()>,
    stopped: Receiver<()>,
}

impl std::fmt::Debug for EngineServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineServer").finish_non_exhaustive()
    }
}

/// Where the server's tasks run.
#[derive(Clone)]
pub(crate) enum Spawner {
    /// smol's global executor ([`smol::spawn`]).
    Global,
    /// The application's executor.
    Executor(Arc<Executor<'static>>),
}

impl Spawner {
    pub(crate) fn spawn<T: Send + 'static>(
        &self,
        f: impl Future<Output = T> + Send + 'static,
    ) -> Task<T> {
        match self {
            Spawner::Global => smol::spawn(f),
            Spawner::Executor(ex) => ex.spawn(f),
        }
    }
}

impl EngineServer {
    /// A server with `config`, its tasks on smol's global executor ([`smol::spawn`]).
    pub fn new(config: ServerConfig) -> Self {
        Self::from_io(EngineIo::new(config), Spawner::Global)
    }

    /// A server with `config`, its tasks on `executor` (which the application runs).
    pub fn with_executor(config: ServerConfig, executor: Arc<Executor<'static>>) -> Self {
        Self::from_io(EngineIo::new(config), Spawner::Executor(executor))
    }

    /// Serves an existing shared state machine (the Socket.IO server's), its tasks on `spawner`.
    pub(crate) fn from_io(io: EngineIo, spawner: Spawner) -> Self {
        let timer = spawner.spawn(crate::timer::run(io.clone()));
        let (stop, stopped) = smol::channel::bounded(1);
        EngineServer {
            inner: Arc::new(Inner {
                io,
                spawner,
                _timer: timer,
                stop,
                stopped,
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
        let mut acceptor = crate::tcp::Acceptor::from(listener);
        let conns = crate::tcp::Conns::new(&self.inner.spawner);
        loop {
            let accept = std::future::poll_fn(|cx| acceptor.poll_accept(cx));
            let accepted = smol::future::or(async { Some(accept.await) }, async {
                // Resolves once the channel is closed.
                let _ = self.inner.stopped.recv().await;
                None
            })
            .await;
            let Some(accepted) = accepted else {
                return Ok(());
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    if let Some(delay) = sio_io::accept::retry_delay(&e) {
                        smol::future::or(
                            async {
                                smol::Timer::after(delay).await;
                            },
                            async {
                                let _ = self.inner.stopped.recv().await;
                            },
                        )
                        .await;
                    }
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let stream = match conns.set_up(stream) {
                Ok(stream) => stream,
                Err(e) => {
                    // Out of epoll watches or memory: this connection is dropped (closed).
                    tracing::warn!(error = %e, %peer, "sio-smol: a connection could not be registered");
                    continue;
                }
            };
            let stream = crate::stall::StallGuard::new(stream, self.inner.io.write_timeout());
            let this = self.clone();
            // Everything sio logs for this connection (its WebSocket's task too) carries the
            // peer's address.
            let span = tracing::info_span!("sio_connection", peer = %peer);
            self.inner
                .spawner
                .spawn(
                    async move {
                        let service = service_fn(move |mut req: Request<hyper::body::Incoming>| {
                            req.extensions_mut().insert(sio_io::http::PeerAddr(peer));
                            let this = this.clone();
                            async move { Ok::<_, Infallible>(this.handle(req).await) }
                        });
                        // hyper's header-read timeout (30 s) needs a timer to be enforced.
                        let _ = http1::Builder::new()
                            .timer(smol_hyper::rt::SmolTimer::new())
                            .serve_connection(FuturesIo::vectored(stream), service)
                            .with_upgrades()
                            .await;
                    }
                    .instrument(span),
                )
                .detach();
        }
    }

    /// Closes every session ("server shutting down") and stops [`serve`](Self::serve).
    pub fn shutdown(&self) {
        self.inner.io.shutdown();
        self.inner.stop.close();
    }

    /// Answers one HTTP request on the server's path (any body type).
    ///
    /// A WebSocket upgrade is completed on the connection hyper hands back: as a
    /// TCP connection when served by [`serve`](Self::serve) (hyper's buffers are dropped), through hyper's own wrapper otherwise.
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
                self.inner
                    .spawner
                    .spawn(
                        crate::ws::run(io.clone(), d.id, d.on_upgrade, deflate).in_current_span(),
                    )
                    .detach();
                sio_io::http::switching_protocols(&d.head, deflate.as_ref())
            }
        }
    }
}
