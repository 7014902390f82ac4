//! [`Message`]: one event the server sent to a client socket.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::Client;
use crate::socket::{Event, Payload};
use crate::{Str, Value};

/// An event from the server: its name, its arguments, and the ack to answer if the server
/// asked for one (`emitWithAck` on the server).
#[derive(Clone, Debug)]
pub struct Message {
    pub(crate) client: Client,
    pub(crate) nsp: Str,
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

    /// All arguments as values (JSON and binary). With connection state recovery on, the
    /// server appends the event's offset as a last string argument, as the reference does.
    pub fn values(&self) -> Result<Vec<Value>, serde_json::Error> {
        self.event.args()
    }

    /// The decoded event.
    pub fn event(&self) -> &Event {
        &self.event
    }

    /// Whether the server waits for an ack.
    pub fn has_ack(&self) -> bool {
        self.event.ack_id().is_some()
    }

    /// Answers the server's ack with `args` (spread as arguments: a tuple gives several;
    /// `bytes::Bytes` fields travel as binary attachments). Returns whether an ack was asked
    /// for.
    pub fn ack<T: Serialize + ?Sized>(&self, args: &T) -> Result<bool, serde_json::Error> {
        let Some(id) = self.event.ack_id() else {
            return Ok(false);
        };
        let payload = Payload::ack(args)?;
        let nsp = self.nsp.clone();
        self.client
            .with(|st, _| st.manager.ack(nsp.as_str(), id, payload));
        Ok(true)
    }
}
