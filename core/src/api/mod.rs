//! The runtime-agnostic async face of sio: what drivers plug their I/O into and what
//! applications program against.
//!
//! This layer adds shared ownership (`Arc<Mutex<…>>`) and wakers around the pure state machines
//! of [`crate::engine`] and [`crate::socket`], and nothing else: still no socket, no clock, no
//! runtime. Drivers (`sio-tokio`, `sio-smol`) own the sockets, the HTTP and WebSocket framing and
//! the timer, and pass the current time in every call.

/// The accessors an incoming event's `Message` has on both sides (the server's
/// [`socketio::Message`] and the client's [`client::Message`]); the type has an `event` field.
macro_rules! event_accessors {
    () => {
        /// The event name.
        pub fn name(&self) -> &str {
            self.event.name()
        }

        /// Argument `index` (0 is the first after the name) as a `T`; binary attachments feed
        /// byte buffers such as `bytes::Bytes`.
        pub fn arg<T: serde::de::DeserializeOwned>(
            &self,
            index: usize,
        ) -> Result<T, serde_json::Error> {
            self.event.deserialize_arg(index)
        }

        /// All arguments as one `T`: a tuple takes them in order, a `Vec` takes them all.
        pub fn args<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
            self.event.deserialize_args()
        }

        /// All arguments as values (JSON and binary). With connection state recovery on, a
        /// server's events carry their offset as a last string argument, as the reference's do.
        pub fn values(&self) -> Result<Vec<crate::Value>, serde_json::Error> {
            self.event.args()
        }

        /// The decoded event as the codec gave it.
        pub fn event(&self) -> &crate::socket::Event {
            &self.event
        }

        /// Whether the peer waits for an ack.
        pub fn has_ack(&self) -> bool {
            self.event.ack_id().is_some()
        }
    };
}
pub(crate) use event_accessors;

pub mod client;
pub mod engine;
pub mod runtime;
pub mod socketio;
mod ws_outbox;

pub use engine::{EngineIo, EngineSession, HttpAnswer};
pub use runtime::{BoxFuture, Runtime};
pub use socketio::{Message, Namespace, Socket, SocketIo, SocketIoConfig};
pub use ws_outbox::{WsFrames, WsNext, WsOutbox};
