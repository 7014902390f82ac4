//! Observers: [`SocketIo::observe`] sees every socket of every namespace connect, join and
//! leave rooms, receive and send events, upgrade and disconnect — what an operator's tool
//! (the Admin UI, an audit log) needs, without a handler on each socket.
//!
//! The layer queues each [`Activity`] under the server's lock, only once an observer exists
//! (a server nobody observes pays a test of an empty vector), and the observers run outside the
//! lock, in order, in the same drain that runs the handlers ([`super::dispatch`]), once the
//! handlers ready to run have run: an observer may call the server's API (emit to an admin
//! namespace, read a socket's rooms).

use std::sync::Arc;

use super::layer::Layer;
use super::socket::Socket;
use super::SocketIo;
use crate::socket::server::{DisconnectReason, SocketId};
use crate::socket::Event;
use crate::Str;

/// What happened to a socket, as an observer sees it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Activity {
    /// The socket joined its namespace (its rooms come first, as [`RoomJoined`](Self::RoomJoined)).
    Connected,
    /// The socket left, for `reason` (its rooms follow, as [`RoomLeft`](Self::RoomLeft)).
    Disconnected(DisconnectReason),
    /// The socket joined a room (its own on connecting, every room a recovered socket had).
    RoomJoined(Str),
    /// The socket left a room (every room it was in, when it goes).
    RoomLeft(Str),
    /// The client emitted this event.
    EventReceived(Event),
    /// This event was emitted to the socket alone (`Socket::emit` and its kin; broadcasts
    /// are not reported per recipient, as the reference's `onAnyOutgoing`).
    EventSent(Event),
    /// The socket's connection moved from long-polling to WebSocket.
    Upgraded,
}

/// An observer of every socket's [`Activity`].
pub(crate) type Observer = Arc<dyn Fn(&Socket, &Activity) + Send + Sync>;

/// An activity waiting for the observers (the socket as id and namespace: the handle is made
/// outside the lock).
pub(crate) struct Queued {
    socket: SocketId,
    nsp: Str,
    activity: Activity,
}

impl Layer {
    /// Whether anyone observes: only then are activities queued.
    #[inline]
    pub(crate) fn observed(&self) -> bool {
        !self.observers.is_empty()
    }

    /// Queues `activity` of `socket` (in `nsp`) for the observers, if there are any.
    pub(crate) fn note(
        &mut self,
        socket: &SocketId,
        nsp: &Str,
        activity: impl FnOnce() -> Activity,
    ) {
        if self.observed() {
            self.activities.push_back(Queued {
                socket: socket.clone(),
                nsp: nsp.clone(),
                activity: activity(),
            });
        }
    }

    /// Queues the room changes the Socket.IO server reported.
    pub(crate) fn note_room_changes(&mut self) {
        while let Some(c) = self.server.poll_room_change() {
            let activity = if c.joined {
                Activity::RoomJoined(c.room)
            } else {
                Activity::RoomLeft(c.room)
            };
            self.note(&c.socket, &c.nsp, || activity);
        }
    }

    /// The queued activities with the observers to show them to.
    pub(crate) fn take_activities(&mut self) -> Option<Observed> {
        if self.activities.is_empty() {
            return None;
        }
        let queued = self.activities.drain(..).collect();
        Some((queued, self.observers.clone()))
    }
}

/// Activities taken from the queue, with the observers to show them to.
pub(crate) type Observed = (Vec<Queued>, Vec<Observer>);

/// Shows queued activities to the observers (outside the lock).
pub(crate) fn run_observers(io: &SocketIo, (queued, observers): Observed) {
    for q in queued {
        let socket = Socket {
            io: io.clone(),
            id: q.socket,
            nsp: q.nsp,
        };
        for o in &observers {
            // An observer that panics loses this activity, not the server's dispatch.
            let _ =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| o(&socket, &q.activity)));
        }
    }
}

impl SocketIo {
    /// Calls `observer` for every [`Activity`] of every socket of every namespace, from now
    /// on: connections, rooms joined and left, events in and out, upgrades, disconnections.
    /// It runs outside the server's lock, in the order things happened, once the handlers
    /// ready to run have run (a socket's connection handler may run before the observers see
    /// it connected); it may use the server's API. Keep it short: it runs on the task that
    /// released the lock (a connection's, the timer's), as handlers do.
    pub fn observe(&self, observer: impl Fn(&Socket, &Activity) + Send + Sync + 'static) {
        let o: Observer = Arc::new(observer);
        self.with(|l, _| {
            l.observers.push(o);
            l.server.report_room_changes(true);
        });
    }
}
