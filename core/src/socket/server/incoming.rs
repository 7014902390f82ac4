//! Inputs from the Engine.IO layer: a session opened, sent a message, closed.

use std::time::Instant;

use super::socket::{Conn, Slot};
use super::timer::Timer;
use super::{ConnInfo, DisconnectReason, SocketEvent, SocketId, SocketServer};
use crate::engine::server::CloseReason;
use crate::engine::server::SessionHint;
use crate::engine::Packet as EnginePacket;
use crate::socket::{Packet, PacketData, MAIN_NAMESPACE};
use crate::Str;

impl SocketServer {
    /// Engine.IO session `sid` opened (after its handshake). It has `connect_timeout` to join
    /// a namespace before the server closes it.
    pub fn handle_engine_open(&mut self, now: Instant, sid: Str, info: ConnInfo) {
        self.touch(now);
        let deadline = now + self.config.connect_timeout;
        let websocket = info
            .query
            .iter()
            .any(|(k, v)| k == "transport" && v == "websocket");
        let conn = Conn {
            info: info.into(),
            decoder: self.config.parser.decoder(self.config.max_attachments),
            header_frame: None,
            nsps: Vec::new(),
            connect_deadline: Some(deadline),
            websocket,
            hint: SessionHint::NONE,
        };
        let v3 = conn.is_v3();
        self.conns.insert(sid.bytes().clone(), Box::new(conn));
        self.timers
            .arm(deadline, Timer::ConnectTimeout(sid.clone()));
        if v3 {
            // A v2 client is in `/` without asking (the reference's `client.connect("/")`).
            self.handle_connect(now, &sid, Str::from_static(MAIN_NAMESPACE), None);
        }
    }

    /// Tells the server where the Engine.IO server keeps session `sid`
    /// ([`Server::session_hint`](crate::engine::server::Server::session_hint)), for the
    /// connection and its sockets. Optional: the sends to the session
    /// ([`EngineCommand::Send`](super::EngineCommand::Send)) then carry the hint, with which
    /// a broadcast's sends find their sessions without hashing their ids. The hint works only
    /// for the id buffer given to [`handle_engine_open`](Self::handle_engine_open) being the
    /// Engine.IO server's own (the `sid` of its `SessionOpened`, or a clone): it is checked
    /// against that very buffer, and a copy of the id just costs the usual lookup.
    pub fn set_session_hint(&mut self, sid: &str, hint: SessionHint) {
        let Some(conn) = self.conns.get_mut(sid.as_bytes()) else {
            return;
        };
        conn.hint = hint;
        // A v2 client's socket in `/` exists from the open on.
        for id in conn.sockets() {
            if let Some(s) = self.sockets.get_mut(&id) {
                s.hint = hint;
            }
        }
    }

    /// Engine.IO session `sid` delivered a message ([`EnginePacket::Message`] or
    /// [`EnginePacket::Binary`]; other packets are ignored).
    ///
    /// A message that does not decode closes the connection: its sockets leave with "forced
    /// close", as in the reference (which closes the Engine.IO connection and reports that
    /// close's reason).
    pub fn handle_engine_message(&mut self, now: Instant, sid: &Str, packet: EnginePacket) {
        self.handle_engine_message_framed(now, sid, packet, None);
    }

    /// [`handle_engine_message`](Self::handle_engine_message) with the WebSocket message it
    /// came in (the `frame` of [`EngineEvent::Message`](crate::engine::server::Event::Message)):
    /// an event in `/` without ack id then keeps that frame (a binary event, the frame of its
    /// header), and sending it back under its own name (an echo,
    /// [`Event::renamed`](crate::socket::Event::renamed)) sends the frame as received.
    pub fn handle_engine_message_framed(
        &mut self,
        now: Instant,
        sid: &Str,
        packet: EnginePacket,
        frame: Option<Str>,
    ) {
        self.touch(now);
        let Some(conn) = self.conns.get_mut(sid.as_bytes()) else {
            return;
        };
        let decoded = match packet {
            EnginePacket::Message(text) => conn.decoder.decode_text(text),
            EnginePacket::Binary(data) => conn.decoder.decode_binary(data),
            _ => return,
        };
        match decoded {
            Ok(Some(mut packet)) => {
                // A binary event's frame is its header's, which came first.
                let frame = frame.or_else(|| conn.header_frame.take());
                if let (Some(frame), PacketData::Event(e)) = (frame, &mut packet.data) {
                    e.adopt_frame(frame);
                }
                // The common case (an event or ack for a namespace the v4 client has joined)
                // with the connection at hand: no second lookup of it.
                if !conn.is_v3()
                    && !matches!(
                        packet.data,
                        PacketData::Connect(_) | PacketData::ConnectError(_)
                    )
                {
                    if let Some(Slot::Connected(id)) = conn.slot(&packet.nsp) {
                        let id = id.clone();
                        self.dispatch(now, id, packet);
                        return;
                    }
                }
                self.handle_packet(now, sid, packet)
            }
            // A binary packet's header (its attachments follow), or one of them.
            Ok(None) => {
                if frame.is_some() {
                    conn.header_frame = frame;
                }
            }
            Err(e) => {
                tracing::warn!(
                    sid = sid.as_str(),
                    peer = conn.info.address.as_str(),
                    error = %e,
                    "bad Socket.IO packet: connection closed"
                );
                self.close_conn(now, sid, DisconnectReason::ForcedClose)
            }
        }
    }

    /// Engine.IO session `sid` closed; its sockets leave with the matching reason ("transport
    /// close", "ping timeout", …). A session the server closed itself is already forgotten.
    pub fn handle_engine_close(&mut self, now: Instant, sid: &Str, reason: CloseReason) {
        self.touch(now);
        let Some(conn) = self.conns.remove(sid.as_bytes()) else {
            return;
        };
        self.drop_conn(now, *conn, reason.into());
    }

    /// Engine.IO session `sid` moved to WebSocket.
    pub fn handle_engine_upgraded(&mut self, now: Instant, sid: &Str) {
        self.touch(now);
        if let Some(conn) = self.conns.get_mut(sid.as_bytes()) {
            conn.websocket = true;
        }
    }

    fn handle_packet(&mut self, now: Instant, sid: &Str, packet: Packet) {
        let v3 = self.conns.get(sid.as_bytes()).is_some_and(|c| c.is_v3());
        let packet = if v3 {
            super::legacy::incoming(packet)
        } else {
            packet
        };
        if let PacketData::Connect(auth) = packet.data {
            self.handle_connect(now, sid, packet.nsp, auth);
            return;
        }
        let Some(conn) = self.conns.get_mut(sid.as_bytes()) else {
            return;
        };
        match (conn.slot(&packet.nsp), &packet.data) {
            (Some(Slot::Connected(id)), data) if !matches!(data, PacketData::ConnectError(_)) => {
                let id = id.clone();
                self.dispatch(now, id, packet);
            }
            // The reference's "invalid state": a packet for a namespace the client has not
            // joined (or is still waiting to join), or a CONNECT_ERROR from the client.
            _ => self.invalid_state(now, sid),
        }
    }

    /// The reference's answer to a packet that makes no sense in the connection's state: the
    /// connection is closed. Its sockets leave with "forced close" on a WebSocket (closed at
    /// once, which the reference reports first) and "forced server close" on long-polling.
    pub(super) fn invalid_state(&mut self, now: Instant, sid: &Str) {
        let conn = self.conns.get(sid.as_bytes());
        let peer = conn.map_or("-", |c| c.info.address.as_str());
        tracing::warn!(
            sid = sid.as_str(),
            peer,
            "packet in an invalid state: connection closed"
        );
        let websocket = self.conns.get(sid.as_bytes()).is_some_and(|c| c.websocket);
        let reason = if websocket {
            DisconnectReason::ForcedClose
        } else {
            DisconnectReason::ForcedServerClose
        };
        self.close_conn(now, sid, reason);
    }

    /// A packet for a connected socket.
    /// Takes `id` by value: an event moves it into the event it queues (no second copy).
    pub(super) fn dispatch(&mut self, now: Instant, id: SocketId, packet: Packet) {
        match packet.data {
            PacketData::Event(event) => {
                // `id` is what the connection's slot for the namespace says, and a socket
                // leaves its slot as it starts leaving: it is live. Only an ack id needs its
                // state (no lookup for the rest, the usual event).
                debug_assert!(self.sockets.get(&id).is_some_and(|s| s.is_live()));
                tracing::debug!(
                    socket = id.as_str(),
                    event = event.name().as_str(),
                    "event received"
                );
                if let Some(ack) = event.ack_id() {
                    let Some(s) = self.sockets.get_mut(&id) else {
                        return;
                    };
                    if s.unanswered.len() >= self.config.max_pending_acks {
                        tracing::warn!(
                            socket = id.as_str(),
                            limit = self.config.max_pending_acks,
                            "too many unanswered acks from the client: the oldest is forgotten"
                        );
                        // The application is that far behind on answering: the oldest can
                        // no longer be answered (memory stays bounded).
                        s.unanswered.pop_front();
                    }
                    s.unanswered.push_back(ack);
                }
                self.metrics.events_in += 1;
                self.events
                    .push_back(SocketEvent::Event { socket: id, event });
            }
            PacketData::Ack(ack) => self.ack_received(&id, ack.id, ack.payload),
            PacketData::Disconnect => {
                self.leave_namespace(now, &id, DisconnectReason::ClientNamespaceDisconnect, false)
            }
            // The reference's socket ignores other packets.
            PacketData::Connect(_) | PacketData::ConnectError(_) => {}
        }
    }

    /// Forgets connection `sid` and asks the Engine.IO layer to close it; its sockets leave
    /// with `reason`.
    pub(super) fn close_conn(&mut self, now: Instant, sid: &Str, reason: DisconnectReason) {
        let Some(conn) = self.conns.remove(sid.as_bytes()) else {
            return;
        };
        self.commands
            .push_back(super::EngineCommand::Close { sid: sid.clone() });
        self.drop_conn(now, *conn, reason);
    }

    fn drop_conn(&mut self, now: Instant, conn: Conn, reason: DisconnectReason) {
        for request in conn.requests() {
            if let Some(p) = self.take_pending(request) {
                self.release_namespace(&p.nsp);
            }
        }
        for id in conn.sockets() {
            self.leave_namespace(now, &id, reason, false);
        }
    }

    pub(super) fn connect_timed_out(&mut self, sid: &Str) {
        let Some(conn) = self.conns.get_mut(sid.as_bytes()) else {
            return;
        };
        conn.connect_deadline = None;
        if !conn.sockets().is_empty() {
            return;
        }
        let now = self.last_now;
        if let Some(now) = now {
            self.close_conn(now, sid, DisconnectReason::ForcedServerClose);
        }
    }
}
