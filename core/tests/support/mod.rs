//! The harness of the Socket.IO server scenario tests: the bare `SocketServer`, a virtual
//! clock, and Engine.IO-level inputs and outputs rendered as text.
#![allow(dead_code, unused_imports)]

pub use std::time::{Duration, Instant};

pub use bytes::Bytes;
pub use sio_core::engine::server::CloseReason;
pub use sio_core::engine::{Frame, Packet as EnginePacket};
pub use sio_core::socket::server::{
    ConnInfo, ConnectId, DisconnectReason, EngineCommand, RecoveryConfig, SocketEvent, SocketId,
    SocketServer, SocketServerConfig, Target,
};
pub use sio_core::socket::{Event, Payload};
pub use sio_core::{Str, Value};

pub struct Harness {
    pub server: SocketServer,
    pub now: Instant,
}

/// What the Engine.IO layer was asked to do, frames rendered as text.
#[derive(Debug, PartialEq, Eq)]
pub enum Out {
    Send(String, Vec<String>),
    Close(String),
}

pub fn render(frame: &Frame) -> String {
    match frame {
        Frame::Text(t) => t.as_str().to_owned(),
        Frame::Binary(b) => format!("<{:?}>", b.as_ref()),
    }
}

pub fn sid(s: &str) -> Str {
    Str::from(s.to_owned())
}

pub fn info() -> ConnInfo {
    ConnInfo {
        query: vec![("EIO".into(), "4".into()), ("token".into(), "abc".into())],
        headers: vec![("origin".into(), "http://example.com".into())],
        address: "127.0.0.1:4000".into(),
        secure: false,
        url: "/socket.io/?EIO=4&transport=polling".into(),
        issued: 1_700_000_000_000,
        protocol: Default::default(),
    }
}

impl Harness {
    pub fn new() -> Self {
        Harness::with(SocketServerConfig {
            id_seed: [3; 32],
            ..SocketServerConfig::default()
        })
    }

    pub fn recovering() -> Self {
        Harness::with(SocketServerConfig {
            id_seed: [3; 32],
            recovery: Some(RecoveryConfig::default()),
            ..SocketServerConfig::default()
        })
    }

    // The epoch of the virtual clock; from there the tests move time by hand.
    #[allow(clippy::disallowed_methods)]
    pub fn with(config: SocketServerConfig) -> Self {
        Harness {
            server: SocketServer::new(config),
            now: Instant::now(),
        }
    }

    pub fn advance(&mut self, d: Duration) {
        self.now += d;
        self.server.handle_timeout(self.now);
    }

    pub fn open(&mut self, s: &str) {
        self.server.handle_engine_open(self.now, sid(s), info());
    }

    pub fn text(&mut self, s: &str, text: &str) {
        let packet = EnginePacket::Message(Str::from(text.to_owned()));
        self.server.handle_engine_message(self.now, &sid(s), packet);
    }

    pub fn binary(&mut self, s: &str, data: &'static [u8]) {
        let packet = EnginePacket::Binary(Bytes::from_static(data));
        self.server.handle_engine_message(self.now, &sid(s), packet);
    }

    pub fn commands(&mut self) -> Vec<EngineCommand> {
        std::iter::from_fn(|| self.server.poll_engine_command()).collect()
    }

    pub fn out(&mut self) -> Vec<Out> {
        let cmds = self.commands();
        cmds.into_iter()
            .map(|c| match c {
                EngineCommand::Send { sid, frames, .. } => {
                    Out::Send(sid.to_string(), frames.iter().map(render).collect())
                }
                EngineCommand::Close { sid } => Out::Close(sid.to_string()),
            })
            .collect()
    }

    /// The text of every frame sent, in order, whatever the session.
    pub fn wire(&mut self) -> Vec<String> {
        let out = self.out();
        out.into_iter()
            .flat_map(|o| match o {
                Out::Send(_, f) => f,
                Out::Close(s) => vec![format!("close {s}")],
            })
            .collect()
    }

    pub fn events(&mut self) -> Vec<SocketEvent> {
        std::iter::from_fn(|| self.server.poll_event()).collect()
    }

    /// The pending CONNECT's request id (asserting that is the only event).
    pub fn request(&mut self) -> ConnectId {
        match self.events().as_slice() {
            [SocketEvent::ConnectRequest { request, .. }] => *request,
            other => panic!("expected a ConnectRequest, got {other:?}"),
        }
    }

    /// Opens a new session `s` and joins namespace `nsp` on it, draining everything.
    pub fn connect(&mut self, s: &str, nsp: &str) -> SocketId {
        self.open(s);
        let packet = if nsp == "/" {
            "0".to_owned()
        } else {
            format!("0{nsp},")
        };
        self.text(s, &packet);
        let request = self.request();
        let id = self.server.accept_connect(self.now, request).unwrap();
        self.commands();
        self.events();
        id
    }
}

pub fn ev(name: &str) -> Event {
    Event::new(name, &()).unwrap()
}

pub fn reasons(events: &[SocketEvent]) -> Vec<(String, &'static str, &'static str)> {
    events
        .iter()
        .filter_map(|e| match e {
            SocketEvent::Disconnecting { socket, reason } => {
                Some((socket.to_string(), "disconnecting", reason.as_str()))
            }
            SocketEvent::Disconnected { socket, reason } => {
                Some((socket.to_string(), "disconnected", reason.as_str()))
            }
            _ => None,
        })
        .collect()
}
