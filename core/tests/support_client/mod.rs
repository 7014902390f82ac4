//! The harness of the client simulation tests: a sans-IO client `Manager`, a virtual clock
//! that only the test moves, and the test playing the server by answering each transmit by
//! hand. No socket and no sleeping: minutes of protocol time run in microseconds.
#![allow(dead_code, unused_imports)]

pub use std::time::{Duration, Instant};

pub use bytes::Bytes;
pub use sio_core::engine::client::{ClientConfig, HttpMethod, HttpResult, IoId, Transmit as Tx};
pub use sio_core::engine::server::TransportKind;
pub use sio_core::engine::Frame;
pub use sio_core::socket::client::{
    AckFailure, AckHandle, Auth, DisconnectReason, EmitOptions, Event, Manager, ManagerConfig,
    SocketConfig,
};
pub use sio_core::socket::{Event as EventPacket, Payload};
pub use sio_core::{Str, Value};

pub mod pair;

/// A handshake over polling that offers the upgrade (the reference server's defaults).
pub const HS: &str = r#"0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
/// A handshake over polling without upgrades.
pub const HS_NO_UPGRADE: &str =
    r#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

/// The client, a virtual clock, and what it output that the test has not looked at yet.
pub struct Sim {
    pub m: Manager,
    /// The epoch: times in assertions are milliseconds since it.
    pub t0: Instant,
    pub now: Instant,
    pub out: Vec<Tx>,
    pub events: Vec<Event>,
    pub parked: Option<IoId>,
}

/// A manager config with a fixed seed, no jitter unless asked, and no upgrade unless asked.
pub fn config() -> ManagerConfig {
    let mut c = ManagerConfig {
        seed: 7,
        randomization_factor: 0.0,
        ..ManagerConfig::default()
    };
    c.engine.upgrade = false;
    c
}

pub fn ev(name: &str, args: &[Value]) -> EventPacket {
    EventPacket::from_values(name, args)
}

pub fn text(frame: &Frame) -> String {
    match frame {
        Frame::Text(t) => t.as_str().to_owned(),
        Frame::Binary(b) => format!("<{:?}>", b.as_ref()),
    }
}

pub fn disconnect(nsp: &str, reason: DisconnectReason) -> Event {
    Event::Disconnect {
        nsp: Str::from(nsp.to_owned()),
        reason,
    }
}

impl Sim {
    // The epoch of the virtual clock; from there the tests move time by hand.
    #[allow(clippy::disallowed_methods)]
    pub fn new(config: ManagerConfig) -> Self {
        let t0 = Instant::now();
        Sim {
            m: Manager::new(config),
            t0,
            now: t0,
            out: Vec::new(),
            events: Vec::new(),
            parked: None,
        }
    }

    /// A manager with socket `/` created with `socket` and connected.
    pub fn connected_root(config: ManagerConfig, socket: SocketConfig) -> Self {
        let mut s = Sim::new(config);
        s.m.socket("/", socket);
        assert!(s.m.connect(s.now, "/"));
        s.drain();
        s
    }

    /// Virtual milliseconds since the epoch.
    pub fn ms(&self) -> u64 {
        (self.now - self.t0).as_millis() as u64
    }

    /// Drains the outputs, as the caller contract requires after every input.
    pub fn drain(&mut self) {
        while let Some(t) = self.m.poll_transmit() {
            self.out.push(t);
        }
        while let Some(e) = self.m.poll_event() {
            self.events.push(e);
        }
    }

    /// Takes the events so far.
    pub fn events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Takes the transmits so far.
    pub fn take_out(&mut self) -> Vec<Tx> {
        std::mem::take(&mut self.out)
    }

    /// Moves the clock to `t0 + ms`, firing every timer due on the way at its own time.
    pub fn advance_to(&mut self, ms: u64) {
        let end = self.t0 + Duration::from_millis(ms);
        while let Some(t) = self.m.poll_timeout().filter(|t| *t <= end) {
            self.now = self.now.max(t);
            self.m.handle_timeout(self.now);
            self.drain();
        }
        self.now = end;
        self.m.handle_timeout(self.now);
        self.drain();
    }

    pub fn advance(&mut self, d: Duration) {
        let ms = self.ms() + d.as_millis() as u64;
        self.advance_to(ms);
    }

    /// Runs timers until the client transmits something; returns the virtual time.
    pub fn run_until_output(&mut self, limit_ms: u64) -> u64 {
        let end = self.t0 + Duration::from_millis(limit_ms);
        while self.out.is_empty() {
            let t = self.m.poll_timeout().expect("a timer");
            assert!(t <= end, "nothing happened before {limit_ms} ms");
            self.now = self.now.max(t);
            self.m.handle_timeout(self.now);
            self.drain();
        }
        self.ms()
    }

    /// Takes the oldest transmit.
    pub fn next(&mut self) -> Tx {
        assert!(!self.out.is_empty(), "no transmit");
        self.out.remove(0)
    }

    /// Takes the oldest transmit, which must be an HTTP request with `method`; returns its id,
    /// query and body.
    pub fn http(&mut self, method: HttpMethod) -> (IoId, String, String) {
        match self.next() {
            Tx::Http {
                id,
                method: m,
                query,
                body,
            } if m == method => (id, query, String::from_utf8(body.to_vec()).unwrap()),
            other => panic!("expected {method:?}, got {other:?}"),
        }
    }

    /// Takes the oldest transmit, a GET; returns its id.
    pub fn get(&mut self) -> IoId {
        self.http(HttpMethod::Get).0
    }

    /// Takes the oldest transmit, a POST; returns its id and body.
    pub fn post(&mut self) -> (IoId, String) {
        let (id, _, body) = self.http(HttpMethod::Post);
        (id, body)
    }

    /// Takes the oldest transmit, a WebSocket open; returns its id and query.
    pub fn ws_open(&mut self) -> (IoId, String) {
        match self.next() {
            Tx::WsOpen { id, query } => (id, query),
            other => panic!("expected WsOpen, got {other:?}"),
        }
    }

    /// Takes the oldest transmit, a WebSocket message; returns the socket and the text.
    pub fn ws_send(&mut self) -> (IoId, String) {
        match self.next() {
            Tx::WsSend { id, frame } => (id, text(&frame)),
            other => panic!("expected WsSend, got {other:?}"),
        }
    }

    /// Answers HTTP request `id` with 200 and `body`.
    pub fn reply(&mut self, id: IoId, body: &str) {
        self.m.handle_http_response(
            self.now,
            id,
            HttpResult::Response {
                status: 200,
                body: Bytes::from(body.to_owned()),
                content_encoding: None,
            },
        );
        self.drain();
    }

    /// Answers HTTP request `id` with a failure (the server is unreachable).
    pub fn fail(&mut self, id: IoId) {
        self.m
            .handle_http_response(self.now, id, HttpResult::Failed("ECONNREFUSED".into()));
        self.drain();
    }

    pub fn ws_opened(&mut self, id: IoId) {
        self.m.handle_ws_open(self.now, id);
        self.drain();
    }

    pub fn ws_message(&mut self, id: IoId, msg: &str) {
        self.m
            .handle_ws_message(self.now, id, Frame::Text(Str::from(msg.to_owned())));
        self.drain();
    }

    pub fn ws_closed(&mut self, id: IoId, error: Option<&str>) {
        self.m
            .handle_ws_closed(self.now, id, error.map(str::to_owned));
        self.drain();
    }

    /// Emits `name` with `args` on `nsp`.
    pub fn emit(
        &mut self,
        nsp: &str,
        name: &str,
        args: &[Value],
        opts: EmitOptions,
    ) -> Option<AckHandle> {
        let h = self.m.emit(self.now, nsp, ev(name, args), opts).unwrap();
        self.drain();
        h
    }

    /// Like [`handshake_and_connect`](Self::handshake_and_connect), then checks that the
    /// client POSTs `posts` one by one after the CONNECT reply (answering each).
    pub fn handshake_and_connect_posting(&mut self, posts: &[&str]) {
        let get = self.get();
        self.reply(get, HS_NO_UPGRADE);
        let get = self.get();
        let (post, body) = self.post();
        assert!(body.starts_with("40"), "{body}");
        self.reply(post, "ok");
        self.reply(get, r#"40{"sid":"s1"}"#);
        let get = self.get();
        for expected in posts {
            let (post, body) = self.post();
            assert_eq!(&body, expected);
            self.reply(post, "ok");
        }
        assert!(self.out.is_empty(), "{:?}", self.out);
        self.parked = Some(get);
    }

    /// The GET the last [`handshake_and_connect_posting`] left parked.
    pub fn last_get(&self) -> IoId {
        self.parked.expect("a parked GET")
    }

    /// Plays the server through the polling handshake (no upgrade offered) and socket `/`'s
    /// CONNECT: answers the GET, checks the POSTed CONNECT, answers it and the next GET with
    /// `40{"sid":"s1"}`. Returns the id of the parked long-poll GET.
    pub fn handshake_and_connect(&mut self) -> IoId {
        let get = self.get();
        self.reply(get, HS_NO_UPGRADE);
        let get = self.get();
        let (post, body) = self.post();
        assert_eq!(body, "40");
        self.reply(post, "ok");
        self.reply(get, r#"40{"sid":"s1"}"#);
        let get = self.get();
        assert!(self.out.is_empty(), "{:?}", self.out);
        assert!(self.m.is_connected("/"));
        get
    }
}
