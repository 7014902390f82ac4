//! The runtime-agnostic async face of sio: what drivers plug their I/O into and what
//! applications program against.
//!
//! This layer adds shared ownership (`Arc<Mutex<…>>`) and wakers around the pure state machines
//! of [`crate::engine`] and [`crate::socket`], and nothing else: still no socket, no clock, no
//! runtime. Drivers (`sio-tokio`, `sio-smol`) own the sockets, the HTTP and WebSocket framing and
//! the timer, and pass the current time in every call.

pub mod client;
pub mod engine;
pub mod runtime;
pub mod socketio;

pub use engine::{EngineIo, EngineSession, HttpAnswer, WsOutgoing};
pub use runtime::{BoxFuture, Runtime};
pub use socketio::{Message, Namespace, Socket, SocketIo, SocketIoConfig};
