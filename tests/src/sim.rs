//! A simulation harness for the Engine.IO server state machine: the bare `Server`, a virtual
//! clock that only [`EngineSim::advance`] moves, and every transmit and event it produced. No
//! socket and no sleeping: a test of minutes of protocol time runs in microseconds.

use std::time::{Duration, Instant};

use bytes::Bytes;
use sio_core::engine::server::{
    CloseReason, Event, Method, Request, Response, Server, ServerConfig, Transmit, TransportId,
};
use sio_core::engine::{Frame, Handshake, Packet};
use sio_core::Str;

/// A server, a virtual clock, and everything it output so far.
#[derive(Debug)]
pub struct EngineSim {
    /// The state machine under test.
    pub server: Server,
    /// Virtual now.
    pub now: Instant,
    next_id: u64,
    /// Transmits not yet taken by the test.
    pub transmits: Vec<Transmit>,
    /// Events not yet taken by the test.
    pub events: Vec<Event>,
}

impl Default for EngineSim {
    fn default() -> Self {
        EngineSim::new()
    }
}

impl EngineSim {
    /// A server with the default configuration.
    pub fn new() -> Self {
        EngineSim::with(ServerConfig::default())
    }

    /// A server with `config`.
    pub fn with(config: ServerConfig) -> Self {
        EngineSim {
            server: Server::new(config),
            now: epoch(),
            next_id: 0,
            transmits: Vec::new(),
            events: Vec::new(),
        }
    }

    /// A fresh transport id.
    pub fn id(&mut self) -> TransportId {
        self.next_id += 1;
        TransportId(self.next_id)
    }

    /// Drains the outputs, as the caller contract requires after every input.
    pub fn drain(&mut self) {
        while let Some(t) = self.server.poll_transmit() {
            self.transmits.push(t);
        }
        while let Some(e) = self.server.poll_event() {
            self.events.push(e);
        }
    }

    /// Hands a request to the server; returns the id it was given.
    pub fn request(&mut self, req: Request) -> TransportId {
        let id = self.id();
        self.server.handle_request(self.now, id, req);
        self.drain();
        id
    }

    /// A GET on `pq` (path and query).
    pub fn get(&mut self, pq: &str) -> TransportId {
        self.request(Request::new(Method::Get, pq))
    }

    /// A POST of `body` on `pq`.
    pub fn post(&mut self, pq: &str, body: &str) -> TransportId {
        let mut req = Request::new(Method::Post, pq);
        req.body = Bytes::from(body.to_owned());
        self.request(req)
    }

    /// Takes the response to `id`, if one was transmitted.
    pub fn response(&mut self, id: TransportId) -> Option<Response> {
        let pos = self.transmits.iter().position(
            |t| matches!(t, Transmit::Response { to, .. } | Transmit::RefuseWebSocket { to, .. } if *to == id),
        )?;
        match self.transmits.remove(pos) {
            Transmit::Response { response, .. } | Transmit::RefuseWebSocket { response, .. } => {
                Some(response)
            }
            _ => None,
        }
    }

    /// The body of the response to `id`, as text (panics if there is none).
    pub fn body(&mut self, id: TransportId) -> String {
        let r = self.response(id).expect("a response");
        String::from_utf8(r.body.to_vec()).unwrap()
    }

    /// Opens a polling session; returns its sid.
    pub fn handshake(&mut self) -> String {
        let id = self.get("/engine.io/?EIO=4&transport=polling&t=x");
        let body = self.body(id);
        let h = Handshake::from_json(body.strip_prefix('0').unwrap().as_bytes()).unwrap();
        h.sid.to_string()
    }

    /// Opens a WebSocket on `pq`; returns its id (accepted and opened).
    pub fn websocket(&mut self, pq: &str) -> TransportId {
        let mut req = Request::new(Method::Get, pq);
        req.websocket_upgrade = true;
        let id = self.request(req);
        let pos = self
            .transmits
            .iter()
            .position(|t| matches!(t, Transmit::AcceptWebSocket { to, .. } if *to == id))
            .expect("upgrade accepted");
        self.transmits.remove(pos);
        self.server.handle_ws_open(self.now, id);
        self.drain();
        id
    }

    /// A text message from the client on WebSocket `id`.
    pub fn ws_send(&mut self, id: TransportId, text: &'static str) {
        self.server
            .handle_ws_message(self.now, id, Frame::Text(Str::from_static(text)));
        self.drain();
    }

    /// Takes the frames sent on WebSocket `id`, as text (binary as `<bin:len>`).
    pub fn ws_frames(&mut self, id: TransportId) -> Vec<String> {
        let mut out = Vec::new();
        self.transmits.retain(|t| match t {
            Transmit::WsFrame { to, frame } if *to == id => {
                out.push(match frame {
                    Frame::Text(t) => t.to_string(),
                    Frame::Binary(b) => format!("<bin:{}>", b.len()),
                });
                false
            }
            _ => true,
        });
        out
    }

    /// Whether the server closed WebSocket `id` (taking that transmit).
    pub fn ws_closed(&mut self, id: TransportId) -> bool {
        let pos = self
            .transmits
            .iter()
            .position(|t| *t == Transmit::CloseWs { to: id });
        pos.map(|p| self.transmits.remove(p)).is_some()
    }

    /// Whether the server dropped WebSocket `id` ([`Transmit::AbortWs`], taking it).
    pub fn ws_aborted(&mut self, id: TransportId) -> bool {
        let pos = self
            .transmits
            .iter()
            .position(|t| *t == Transmit::AbortWs { to: id });
        pos.map(|p| self.transmits.remove(p)).is_some()
    }

    /// Advances the clock, firing due timers as a driver would.
    pub fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        while let Some(at) = self.server.poll_timeout() {
            if at > end {
                break;
            }
            self.now = self.now.max(at);
            self.server.handle_timeout(self.now);
            self.drain();
        }
        self.now = end;
    }

    /// Why session `sid` closed, if it did.
    pub fn closed_reason(&self, sid: &str) -> Option<CloseReason> {
        self.events.iter().find_map(|e| match e {
            Event::SessionClosed { sid: s, reason } if s == sid => Some(*reason),
            _ => None,
        })
    }

    /// Takes the messages the clients sent so far.
    pub fn messages(&mut self) -> Vec<Packet> {
        let mut out = Vec::new();
        self.events.retain(|e| match e {
            Event::Message { packet, .. } => {
                out.push(packet.clone());
                false
            }
            _ => true,
        });
        out
    }
}

/// The one reading of the real clock: the origin of virtual time, which only `advance` moves.
#[allow(clippy::disallowed_methods)]
/// The one reading of the real clock: the origin of virtual time, which only `advance` moves.
pub fn epoch() -> Instant {
    Instant::now()
}

/// The polling URL of session `sid`.
pub fn poll(sid: &str) -> String {
    format!("/engine.io/?EIO=4&transport=polling&sid={sid}")
}

/// The WebSocket URL of session `sid`.
pub fn ws(sid: &str) -> String {
    format!("/engine.io/?EIO=4&transport=websocket&sid={sid}")
}

/// A text message packet.
pub fn msg(s: &'static str) -> Packet {
    Packet::Message(Str::from_static(s))
}
