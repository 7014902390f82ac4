//! [`Socket`]: one client in one namespace — handlers, emits, rooms.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::ack::{AckError, AckFuture};
use super::handlers::{
    DisconnectHandler, ErrorHandler, OutgoingListener, SocketHandlers, SocketMiddleware,
};
use super::layer::Layer;
use super::message::Message;
use super::namespace::{BroadcastOperator, ConnectionHandler};
use super::SocketIo;
use crate::socket::server::{
    DisconnectReason, EmitAckError, Handshake, JoinError, SocketId, Target,
};
use crate::socket::Event;
use crate::Str;

/// One client connected to one namespace. Cloning gives another handle to the same socket.
#[derive(Clone, Debug)]
pub struct Socket {
    pub(crate) io: SocketIo,
    pub(crate) id: SocketId,
    pub(crate) nsp: Str,
}

impl Socket {
    /// The socket id (20 characters; also the name of a room only this socket is in).
    pub fn id(&self) -> &SocketId {
        &self.id
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.nsp
    }

    /// The handshake (query, headers, auth, time) it connected with; still there in its
    /// handlers once it has left.
    pub fn handshake(&self) -> Option<Handshake> {
        let id = self.id.clone();
        self.io.with(|l, _| {
            l.server.handshake(&id).cloned().or_else(|| {
                let slot = l.sockets.get(&id)?;
                slot.left_with.as_deref().cloned()
            })
        })
    }

    /// Whether it is still connected.
    pub fn connected(&self) -> bool {
        let id = self.id.clone();
        self.io.with(|l, _| l.server.is_connected(&id))
    }

    /// Whether it was restored by connection state recovery (same id and rooms, missed events
    /// replayed).
    pub fn recovered(&self) -> bool {
        let id = self.id.clone();
        self.io
            .with(|l, _| l.sockets.get(&id).is_some_and(|s| s.recovered))
    }

    /// Stores the application's data for this socket (the reference's `socket.data`): any
    /// serializable value; returned by `fetch_sockets` and restored by recovery.
    pub fn set_data<T: Serialize + ?Sized>(&self, data: &T) -> Result<(), serde_json::Error> {
        let value = crate::Value::from_serialize(data)?;
        let id = self.id.clone();
        self.io.with(|l, _| l.server.set_data(&id, value)).ok();
        Ok(())
    }

    /// The application's data for this socket, read as a `T`.
    pub fn data<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        let id = self.id.clone();
        let value = self.io.with(|l, _| l.server.data(&id).cloned())?;
        value.deserialize_into().ok()
    }

    /// An id shared by the sockets of one connection, safe to show: the first 12 characters
    /// of its Engine.IO session id (the session id itself authenticates the connection's
    /// requests and is not handed out), as the Admin UI's `clientId`. `None` once gone.
    pub fn client_id(&self) -> Option<Str> {
        let id = self.id.clone();
        let sid = self
            .io
            .with_untimed(|l, _| l.server.engine_sid(&id).cloned())?;
        let end = sid.len().min(12);
        Some(Str::from(sid.as_str()[..end].to_owned()))
    }

    /// The Engine.IO transport the socket's connection runs on now.
    pub fn transport(&self) -> Option<crate::engine::server::TransportKind> {
        let id = self.id.clone();
        self.io.with(|l, engine| {
            let sid = l.server.engine_sid(&id)?;
            engine.transport_of(sid)
        })
    }

    fn handlers(&self, f: impl FnOnce(&mut SocketHandlers)) {
        let id = self.id.clone();
        self.io.with(|l, _| {
            if let Some(s) = l.sockets.get_mut(&id) {
                f(&mut s.handlers);
            }
        });
    }

    /// Calls `handler` for each `event` the client emits (several handlers run in the order
    /// they were added).
    pub fn on<F, Fut>(&self, event: &str, handler: F)
    where
        F: Fn(Socket, Message) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let h = super::handlers::event_handler(handler);
        self.handlers(|hs| hs.add_event(event, h));
    }

    /// Calls `handler` for every event the client emits, before the event's own handlers.
    pub fn on_any<F, Fut>(&self, handler: F)
    where
        F: Fn(Socket, Message) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let h = super::handlers::event_handler(handler);
        self.handlers(|hs| hs.rare_mut().any.push(h));
    }

    /// Calls `handler` when the socket's connection moves from long-polling to WebSocket (the
    /// reference's `socket.conn.on("upgrade")`).
    pub fn on_upgrade<F, Fut>(&self, handler: F)
    where
        F: Fn(Socket) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let h: ConnectionHandler = Arc::new(move |s| Box::pin(handler(s)));
        self.handlers(|hs| hs.rare_mut().upgrade.push(h));
    }

    /// Calls `handler` when the socket is leaving, while its rooms are still readable.
    pub fn on_disconnecting<F, Fut>(&self, handler: F)
    where
        F: Fn(Socket, DisconnectReason) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let h: DisconnectHandler = Arc::new(move |s, r| Box::pin(handler(s, r)));
        self.handlers(|hs| hs.rare_mut().disconnecting.push(h));
    }

    /// Calls `handler` once the socket has left, with the reason.
    pub fn on_disconnect<F, Fut>(&self, handler: F)
    where
        F: Fn(Socket, DisconnectReason) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let h: DisconnectHandler = Arc::new(move |s, r| Box::pin(handler(s, r)));
        self.handlers(|hs| hs.rare_mut().disconnect.push(h));
    }

    /// Adds a middleware for the client's events (the reference's `socket.use`): it runs
    /// before the handlers of every event, in the order added; an `Err` skips the handlers and
    /// calls the [`on_error`](Self::on_error) handlers with it.
    pub fn use_middleware<F, Fut>(&self, middleware: F)
    where
        F: Fn(Socket, Message) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        let m: SocketMiddleware = Arc::new(move |s, msg| Box::pin(middleware(s, msg)));
        self.handlers(|hs| hs.rare_mut().middlewares.push(m));
    }

    /// Calls `handler` when a middleware refuses an event.
    pub fn on_error<F, Fut>(&self, handler: F)
    where
        F: Fn(Socket, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let h: ErrorHandler = Arc::new(move |s, e| Box::pin(handler(s, e)));
        self.handlers(|hs| hs.rare_mut().errors.push(h));
    }

    /// Calls `listener` for every event emitted to this socket through it (`emit`,
    /// `emit_with_ack`, …; the reference's `onAnyOutgoing`), as it is queued.
    pub fn on_any_outgoing(&self, listener: impl Fn(&Socket, &Event) + Send + Sync + 'static) {
        let l: OutgoingListener = Arc::new(listener);
        let id = self.id.clone();
        self.io.with(|layer, _| {
            layer.any_outgoing = true;
            if let Some(s) = layer.sockets.get_mut(&id) {
                s.handlers.rare_mut().outgoing.push(l);
            }
        });
    }

    /// Queues `event` with `send` and tells the outgoing listeners, under one lock (a second
    /// lock per emit would be paid by every emit, listeners or not). `batched` for a send
    /// that arms no timer (see [`SocketIo::with_batched`]).
    fn send(&self, event: Event, batched: bool, send: impl FnOnce(&mut Layer, &SocketId, Event)) {
        let id = &self.id;
        // Written under the lock, not returned through it (see `dispatch::drain`).
        let mut told: Option<(Vec<super::handlers::OutgoingListener>, Event)> = None;
        let work = |l: &mut Layer| {
            if l.any_outgoing {
                let listeners = l.sockets.get(id).map(|s| s.handlers.outgoing());
                if let Some(listeners) = listeners.filter(|ls| !ls.is_empty()) {
                    told = Some((listeners, event.clone()));
                }
            }
            if l.observed() {
                let e = event.clone();
                l.note(id, &self.nsp, || super::Activity::EventSent(e));
            }
            send(l, id, event);
        };
        if batched {
            self.io.with_batched(work);
        } else {
            self.io.with(|l, _| work(l));
        }
        if let Some((listeners, event)) = told {
            for l in listeners {
                l(self, &event);
            }
        }
    }

    /// Sends an event to this client (arguments spread: a tuple gives several).
    pub fn emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<(), serde_json::Error> {
        self.emit_event(Event::new(event, args)?);
        Ok(())
    }

    /// Sends a ready event to this client: one received and
    /// [`renamed`](crate::socket::Event::renamed) (its arguments forwarded as they came, no
    /// values built; see [`Message::forward`]), or one built with
    /// [`Event::new`](crate::socket::Event::new). Any ack id on it is dropped.
    pub fn emit_event(&self, event: Event) {
        self.send(event, true, |l, id, event| l.emit_to(id, event));
    }

    /// What is queued for this socket's connection and not yet written to it, in the units of
    /// the limit (each packet's length plus
    /// [`FRAME_OVERHEAD`](crate::engine::server::FRAME_OVERHEAD) bytes); 0 once it is gone.
    /// Like a browser WebSocket's `bufferedAmount`. The connection is closed with "send buffer
    /// full" when this would pass the Engine.IO option `max_buffered_bytes`.
    pub fn buffered_amount(&self) -> usize {
        let id = self.id.clone();
        self.io
            .with_untimed(|l, engine| {
                let sid = l.server.engine_sid(&id)?;
                engine.buffered(sid)
            })
            .unwrap_or(0)
    }

    /// Resolves once what is queued for this socket's connection is back to half of the
    /// limit or less (at once if it is): `Err` if the socket is gone. A producer that awaits
    /// it after each emit never fills a slow client's queue: it sends at the client's pace.
    /// A client that stops reading is closed by its heartbeat, which ends the wait.
    pub fn drain(&self) -> super::Drain {
        let id = self.id.clone();
        let sids = self
            .io
            .with_untimed(|l, _| l.server.engine_sid(&id).cloned());
        super::Drain::new(
            self.io.clone(),
            sids.into_iter().collect(),
            Some(self.id.clone()),
        )
    }

    /// [`emit`](Self::emit), then [`drain`](Self::drain): await the future before the next
    /// emit to send no faster than the client reads.
    ///
    /// ```ignore
    /// for chunk in chunks {
    ///     socket.emit_drained("chunk", &chunk)?.await?; // waits while the client is behind
    /// }
    /// ```
    pub fn emit_drained<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<super::Drain, serde_json::Error> {
        self.emit(event, args)?;
        Ok(self.drain())
    }

    /// Sends an event that may be dropped (no recovery offset, never replayed).
    pub fn emit_volatile<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<(), serde_json::Error> {
        let event = Event::new(event, args)?;
        self.send(event, true, |l, id, event| {
            let _ = l.server.emit_volatile(id, event);
        });
        Ok(())
    }

    /// Sends an event and waits for the client's ack (without time limit; see
    /// [`emit_with_ack_timeout`](Self::emit_with_ack_timeout)).
    pub fn emit_with_ack<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> AckFuture {
        self.ack_emit(event, args, None)
    }

    /// Sends an event and waits at most `timeout` for the client's ack.
    pub fn emit_with_ack_timeout<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
        timeout: Duration,
    ) -> AckFuture {
        self.ack_emit(event, args, Some(timeout))
    }

    fn ack_emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
        timeout: Option<Duration>,
    ) -> AckFuture {
        let Ok(event) = Event::new(event, args) else {
            return AckFuture::failed(AckError::NotSent);
        };
        let now = self.io.rt().now();
        let (slot, fut) = AckFuture::pair();
        self.send(event, false, move |l, id, event| {
            match l.server.emit_with_ack(now, id, event, timeout) {
                Ok(ack) => {
                    l.acks.insert((id.clone(), ack), slot);
                }
                Err(EmitAckError::TooManyPending) => slot.complete(Err(AckError::TooManyPending)),
                Err(EmitAckError::UnknownSocket) => slot.complete(Err(AckError::Disconnected)),
            }
        });
        fut
    }

    /// Joins `room`. Fails if the socket is gone, or in `max_rooms_per_socket` rooms
    /// already (applications often join rooms a client names: the limit keeps a client from
    /// growing the server's room index without end).
    pub fn join(&self, room: impl Into<Str>) -> Result<(), JoinError> {
        let (id, room) = (self.id.clone(), room.into());
        self.io.with(|l, _| l.server.join(&id, [room]))
    }

    /// Leaves `room`.
    pub fn leave(&self, room: &str) {
        let id = self.id.clone();
        self.io.with(|l, _| l.server.leave(&id, room)).ok();
    }

    /// The rooms it is in (its own id first).
    pub fn rooms(&self) -> Vec<Str> {
        let id = self.id.clone();
        self.io
            .with(|l, _| l.server.rooms(&id).map(<[Str]>::to_vec))
            .unwrap_or_default()
    }

    fn others(&self) -> BroadcastOperator {
        BroadcastOperator {
            io: self.io.clone(),
            nsp: self.nsp.clone(),
            target: Target::all().excluding(self.id.clone()),
            volatile: false,
            local: false,
            timeout: None,
        }
    }

    /// The other sockets in `room` (the sender is left out, as `socket.to(room)` in Node).
    pub fn to(&self, room: impl Into<Str>) -> BroadcastOperator {
        self.others().to(room)
    }

    /// Every other socket of the namespace.
    pub fn broadcast(&self) -> BroadcastOperator {
        self.others()
    }

    /// Leaves the namespace ("server namespace disconnect"); with `close`, closes the whole
    /// connection.
    pub fn disconnect(&self, close: bool) {
        let id = self.id.clone();
        let now = self.io.rt().now();
        self.io
            .with(|l, _| l.server.disconnect(now, &id, close))
            .ok();
    }
}
