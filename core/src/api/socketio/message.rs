//! [`Message`]: one event a client sent, with its arguments and its ack.

use serde::Serialize;

use super::SocketIo;
use crate::socket::server::SocketId;
use crate::socket::{Event, Payload};

/// An event from a client: its name, its arguments (read them into your types), and the ack
/// to answer if the client asked for one.
#[derive(Clone, Debug)]
pub struct Message {
    pub(crate) io: SocketIo,
    pub(crate) socket: SocketId,
    pub(crate) event: Event,
}

impl Message {
    crate::api::event_accessors!();

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
