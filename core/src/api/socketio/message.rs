//! [`Message`]: one event a client sent, with its arguments and its ack.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::SocketIo;
use crate::socket::server::SocketId;
use crate::socket::{Event, Payload};
use crate::Value;

/// An event from a client: its name, its arguments (read them into your types), and the ack
/// to answer if the client asked for one.
#[derive(Clone, Debug)]
pub struct Message {
    pub(crate) io: SocketIo,
    pub(crate) socket: SocketId,
    pub(crate) event: Event,
}

impl Message {
    /// The event name.
    pub fn name(&self) -> &str {
        self.event.name()
    }

    /// Argument `index` (0 is the first after the name) as a `T`; binary attachments feed byte
    /// buffers such as `bytes::Bytes`.
    pub fn arg<T: DeserializeOwned>(&self, index: usize) -> Result<T, serde_json::Error> {
        self.event.deserialize_arg(index)
    }

    /// All arguments as one `T`: a tuple takes them in order, a `Vec` takes them all.
    pub fn args<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        self.event.deserialize_args()
    }

    /// All arguments as values (JSON and binary).
    pub fn values(&self) -> Result<Vec<Value>, serde_json::Error> {
        self.event.args()
    }

    /// The decoded event as the codec gave it.
    pub fn event(&self) -> &Event {
        &self.event
    }

    /// Whether the client waits for an ack.
    pub fn has_ack(&self) -> bool {
        self.event.ack_id().is_some()
    }

    /// Answers the client's ack with `args` (spread as event arguments: a tuple gives several).
    /// Only the first answer is sent; returns whether this one was.
    pub fn ack<T: Serialize + ?Sized>(&self, args: &T) -> Result<bool, serde_json::Error> {
        let Some(id) = self.event.ack_id() else {
            return Ok(false);
        };
        let payload = Payload::ack(args)?;
        let socket = self.socket.clone();
        Ok(self.io.with(|l, _| l.server.ack(&socket, id, payload)))
    }
}
