//! [`Message`]: one event a client sent, with its arguments and its ack.

use serde::Serialize;

use super::{Socket, SocketIo};
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
        Ok(self.io.with_batched(|l| l.server.ack(&socket, id, payload)))
    }

    /// Emits this event's arguments, as they came, to `to` under the name `event` (an echo:
    /// `msg.forward(&socket, "echo")`): the received text is copied once, attachments are
    /// shared, and no values are built, where `to.emit(event, &Spread(msg.values()?))` reads
    /// them into a tree and writes them again. The receiver gets the same values; the text is
    /// the sender's (spacing, number forms). Fails for the reserved event names.
    pub fn forward(&self, to: &Socket, event: &str) -> Result<(), serde_json::Error> {
        to.emit_event(self.event.renamed(event)?);
        Ok(())
    }

    /// Answers the client's ack with this event's own arguments, as they came (see
    /// [`forward`](Self::forward)). Only the first answer is sent; returns whether this one
    /// was.
    pub fn ack_forward(&self) -> bool {
        let Some(id) = self.event.ack_id() else {
            return false;
        };
        let (socket, event) = (&self.socket, &self.event);
        self.io
            .with_batched(|l| l.server.ack_forward(socket, id, event))
    }
}
