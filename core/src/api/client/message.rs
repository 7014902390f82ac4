//! [`Message`]: one event the server sent to a client socket.

use serde::Serialize;

use super::Client;
use crate::socket::{Event, Payload};
use crate::Str;

/// An event from the server: its name, its arguments, and the ack to answer if the server
/// asked for one (`emitWithAck` on the server).
#[derive(Clone, Debug)]
pub struct Message {
    pub(crate) client: Client,
    pub(crate) nsp: Str,
    pub(crate) event: Event,
}

impl Message {
    crate::api::event_accessors!();

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
