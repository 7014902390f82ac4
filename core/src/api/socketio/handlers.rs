//! [`SocketHandlers`]: what the application registered on one socket, kept small (one per
//! connected socket): the event handlers in a short vector, everything rarer behind one box.

use std::future::Future;
use std::sync::Arc;

use smallvec::SmallVec;

use super::message::Message;
use super::namespace::ConnectionHandler;
use super::socket::Socket;
use crate::api::runtime::BoxFuture;
use crate::socket::server::DisconnectReason;
use crate::socket::Event;

/// An event handler, called and its future polled once at once: the future if it waits.
pub(crate) type EventHandler = Arc<dyn Fn(Socket, Message) -> Option<BoxFuture> + Send + Sync>;

/// The [`EventHandler`] of an application's handler: each call starts its future in place
/// ([`InlineStarter`](crate::api::runtime::InlineStarter)).
pub(crate) fn event_handler<F, Fut>(handler: F) -> EventHandler
where
    F: Fn(Socket, Message) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let starter = crate::api::runtime::InlineStarter::new();
    Arc::new(move |s, m| starter.start(handler(s, m)))
}
pub(crate) type SocketMiddleware = Arc<
    dyn Fn(Socket, Message) -> std::pin::Pin<Box<dyn Future<Output = Result<(), String>> + Send>>
        + Send
        + Sync,
>;
pub(crate) type ErrorHandler = Arc<dyn Fn(Socket, String) -> BoxFuture + Send + Sync>;
pub(crate) type OutgoingListener = Arc<dyn Fn(&Socket, &Event) + Send + Sync>;
pub(crate) type DisconnectHandler =
    Arc<dyn Fn(Socket, DisconnectReason) -> BoxFuture + Send + Sync>;

/// The handlers registered on one socket.
///
/// Event handlers are found by a scan of a short vector (a socket has a handful; comparing a
/// few names costs less than hashing one, and a vector is one allocation where a map is
/// several). The rarer kinds share one lazily allocated box.
#[derive(Default)]
pub(crate) struct SocketHandlers {
    /// `(event name, handler)` in registration order; an event may have several.
    events: Vec<(Box<str>, EventHandler)>,
    rare: Option<Box<Rare>>,
}

/// Handlers most sockets do not have.
#[derive(Default)]
pub(crate) struct Rare {
    pub(crate) any: Vec<EventHandler>,
    pub(crate) disconnecting: Vec<DisconnectHandler>,
    pub(crate) disconnect: Vec<DisconnectHandler>,
    pub(crate) middlewares: Vec<SocketMiddleware>,
    pub(crate) errors: Vec<ErrorHandler>,
    pub(crate) outgoing: Vec<OutgoingListener>,
    pub(crate) upgrade: Vec<ConnectionHandler>,
}

impl SocketHandlers {
    /// Adds a handler for `event`.
    pub(crate) fn add_event(&mut self, event: &str, handler: EventHandler) {
        self.events.push((event.into(), handler));
    }

    /// The rarer handlers, for adding one.
    pub(crate) fn rare_mut(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }

    /// The rarer handlers, if any was added.
    pub(crate) fn rare(&self) -> Option<&Rare> {
        self.rare.as_deref()
    }

    /// The handlers of `event`: the catch-all ones first, then the event's own, in the order
    /// they were added.
    pub(crate) fn for_event(&self, event: &[u8]) -> SmallVec<[EventHandler; 2]> {
        let mut hs: SmallVec<[EventHandler; 2]> = SmallVec::new();
        if let Some(r) = self.rare() {
            hs.extend(r.any.iter().cloned());
        }
        // A plain loop: `extend` with a filter costs a hundred instructions more per event
        // (its size hint is 0, so it reserves and checks on every push).
        for (name, h) in &self.events {
            if crate::id_hash::ids_equal(name.as_bytes(), event) {
                hs.push(h.clone());
            }
        }
        hs
    }

    /// The outgoing listeners (usually none: no allocation then).
    pub(crate) fn outgoing(&self) -> Vec<OutgoingListener> {
        self.rare().map(|r| r.outgoing.clone()).unwrap_or_default()
    }
}
