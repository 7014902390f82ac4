//! Both sides real: the client `Manager` wired to the sans-IO Engine.IO `Server` and the
//! `SocketServer` above it, through a zero-latency in-memory network the test can cut. Time
//! is virtual; `step` runs every machine until none has anything left to say.

use std::collections::HashSet;

use sio_core::engine::server::{
    Event as EngineEvent, Method, Request, Server, ServerConfig, Transmit as ServerTx, TransportId,
};
use sio_core::socket::server::{
    ConnInfo, EngineCommand, SocketEvent, SocketId, SocketServer, SocketServerConfig,
};

use super::*;

/// A client and a server in one virtual world.
pub struct Pair {
    pub client: Manager,
    pub engine: Server,
    pub sio: SocketServer,
    pub t0: Instant,
    pub now: Instant,
    /// What the client reported, not yet taken.
    pub client_events: Vec<Event>,
    /// What the Socket.IO server reported (except connect requests, which are accepted).
    pub server_events: Vec<SocketEvent>,
    /// WebSockets the server accepted and that are still open.
    ws: HashSet<u64>,
    /// Which of them are WebTransport sessions (their frames travel as stream bytes).
    wt: HashSet<u64>,
    /// While false, the network loses everything in both directions (requests never get an
    /// answer, WebSocket messages vanish).
    pub link_up: bool,
}

impl Pair {
    // The epoch of the virtual clock; from there the test moves time by hand.
    #[allow(clippy::disallowed_methods)]
    pub fn new(client: ManagerConfig, sio: SocketServerConfig) -> Self {
        let t0 = Instant::now();
        let engine = Server::new(ServerConfig {
            path: "/socket.io/".to_owned(),
            sid_seed: [5; 32],
            ..ServerConfig::default()
        });
        Pair {
            client: Manager::new(client),
            engine,
            sio: SocketServer::new(sio),
            t0,
            now: t0,
            client_events: Vec::new(),
            server_events: Vec::new(),
            ws: HashSet::new(),
            wt: HashSet::new(),
            link_up: true,
        }
    }

    /// Serves WebTransport too (call before anything happens).
    pub fn with_webtransport(mut self) -> Self {
        self.engine = Server::new(ServerConfig {
            path: "/socket.io/".to_owned(),
            sid_seed: [5; 32],
            transports: sio_core::engine::server::Transports::WITH_WEBTRANSPORT,
            ..ServerConfig::default()
        });
        self
    }

    pub fn ms(&self) -> u64 {
        (self.now - self.t0).as_millis() as u64
    }

    /// Runs every machine until all are quiet.
    pub fn step(&mut self) {
        loop {
            let mut progress = false;
            while let Some(t) = self.client.poll_transmit() {
                progress = true;
                self.client_to_server(t);
            }
            while let Some(t) = self.engine.poll_transmit() {
                progress = true;
                self.server_to_client(t);
            }
            while let Some(e) = self.engine.poll_event() {
                progress = true;
                self.engine_event(e);
            }
            while let Some(c) = self.sio.poll_engine_command() {
                progress = true;
                match c {
                    EngineCommand::Send {
                        sid,
                        frames,
                        volatile,
                        ..
                    } => {
                        if volatile {
                            let _ = self.engine.send_volatile(&sid, &frames);
                        } else {
                            for f in frames {
                                let _ = self.engine.send_frame(&sid, f);
                            }
                        }
                    }
                    EngineCommand::Close { sid } => {
                        let _ = self.engine.close(self.now, &sid);
                    }
                }
            }
            while let Some(e) = self.sio.poll_event() {
                progress = true;
                match e {
                    SocketEvent::ConnectRequest { request, .. } => {
                        self.sio.accept_connect(self.now, request).unwrap();
                    }
                    SocketEvent::Event { socket, event } if event.ack_id().is_some() => {
                        // The server application acks whatever asks for it, with no args.
                        let id = event.ack_id().unwrap();
                        self.sio.ack(&socket, id, Payload::ack(&()).unwrap());
                        self.server_events
                            .push(SocketEvent::Event { socket, event });
                    }
                    other => self.server_events.push(other),
                }
            }
            while let Some(e) = self.client.poll_event() {
                progress = true;
                self.client_events.push(e);
            }
            if !progress {
                return;
            }
        }
    }

    /// Carries one client transmit to the server (as `step` does).
    pub fn client_to_server(&mut self, t: Tx) {
        let now = self.now;
        match t {
            Tx::Http {
                id,
                method,
                query,
                body,
            } => {
                if !self.link_up {
                    return;
                }
                let method = match method {
                    HttpMethod::Get => Method::Get,
                    HttpMethod::Post => Method::Post,
                };
                let mut req = Request::new(method, &format!("/socket.io/?{query}"));
                req.body = body;
                self.engine.handle_request(now, TransportId(id.0), req);
            }
            Tx::WsOpen { id, query } => {
                if !self.link_up {
                    self.client
                        .handle_ws_closed(now, id, Some("unreachable".into()));
                    return;
                }
                let mut req = Request::new(Method::Get, &format!("/socket.io/?{query}"));
                req.websocket_upgrade = true;
                self.engine.handle_request(now, TransportId(id.0), req);
            }
            Tx::WtOpen { id, query } => {
                if !self.link_up {
                    self.client
                        .handle_ws_closed(now, id, Some("unreachable".into()));
                    return;
                }
                let mut req = Request::new(Method::Other, &format!("/socket.io/?{query}"));
                req.secure = true;
                self.ws.insert(id.0);
                self.wt.insert(id.0);
                self.engine.handle_wt_open(now, TransportId(id.0), req);
                self.client.handle_wt_open(now, id);
            }
            Tx::WsSend { id, frame } if self.wt.contains(&id.0) => {
                if self.link_up && self.ws.contains(&id.0) {
                    let mut bytes = Vec::new();
                    sio_core::engine::webtransport::encode(&frame, &mut bytes);
                    self.engine
                        .handle_wt_data(now, TransportId(id.0), bytes.into());
                }
            }
            Tx::WsSend { id, frame } => {
                if self.link_up && self.ws.contains(&id.0) {
                    self.engine.handle_ws_message(now, TransportId(id.0), frame);
                }
            }
            Tx::WsClose { id } => {
                if self.ws.remove(&id.0) {
                    self.engine.handle_ws_closed(now, TransportId(id.0));
                }
            }
        }
    }

    fn server_to_client(&mut self, t: ServerTx) {
        let now = self.now;
        match t {
            ServerTx::Response { to, response } => {
                if self.link_up {
                    let result = HttpResult::Response {
                        status: response.status,
                        content_encoding: response.header("content-encoding").map(str::to_owned),
                        body: response.body,
                    };
                    self.client.handle_http_response(now, IoId(to.0), result);
                }
            }
            ServerTx::RefuseWebSocket { to, response } => {
                let why = String::from_utf8_lossy(&response.body).into_owned();
                self.client.handle_ws_closed(now, IoId(to.0), Some(why));
            }
            ServerTx::AcceptWebSocket { to, .. } => {
                self.ws.insert(to.0);
                self.engine.handle_ws_open(now, to);
                self.client.handle_ws_open(now, IoId(to.0));
            }
            ServerTx::WsFrame { to, frame } => {
                // Written at once, as far as the server's queue is concerned.
                let written = sio_core::engine::server::queued_size(&frame);
                if self.link_up && self.wt.contains(&to.0) {
                    let mut bytes = Vec::new();
                    sio_core::engine::webtransport::encode(&frame, &mut bytes);
                    self.client.handle_wt_data(now, IoId(to.0), bytes.into());
                } else if self.link_up {
                    self.client.handle_ws_message(now, IoId(to.0), frame);
                }
                self.engine.handle_ws_written(now, to, written);
            }
            ServerTx::CloseWs { to } | ServerTx::AbortWs { to } => {
                if self.ws.remove(&to.0) {
                    self.client.handle_ws_closed(now, IoId(to.0), None);
                }
            }
            // Only the async layer pauses reading; this pair drives the bare machines.
            ServerTx::PauseRead { .. } | ServerTx::ResumeRead { .. } => {}
        }
    }

    fn engine_event(&mut self, e: EngineEvent) {
        let now = self.now;
        match e {
            EngineEvent::SessionOpened {
                sid,
                query,
                protocol,
                ..
            } => {
                let info = ConnInfo {
                    query,
                    headers: Vec::new(),
                    address: "127.0.0.1:4000".into(),
                    secure: false,
                    url: "/socket.io/".into(),
                    issued: 1_700_000_000_000,
                    protocol,
                };
                self.sio.handle_engine_open(now, sid, info);
            }
            EngineEvent::Message { sid, packet, .. } => {
                self.sio.handle_engine_message(now, &sid, packet);
            }
            EngineEvent::SessionClosed { sid, reason } => {
                self.sio.handle_engine_close(now, &sid, reason);
            }
            _ => {}
        }
    }

    /// Moves the clock to `t0 + ms`, firing every machine's timers at their own time.
    pub fn advance_to(&mut self, ms: u64) {
        let end = self.t0 + Duration::from_millis(ms);
        loop {
            self.step();
            let next = [
                self.client.poll_timeout(),
                self.engine.poll_timeout(),
                self.sio.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    self.client.handle_timeout(self.now);
                    self.engine.handle_timeout(self.now);
                    self.sio.handle_timeout(self.now);
                }
                _ => break,
            }
        }
        self.now = end;
        self.client.handle_timeout(self.now);
        self.engine.handle_timeout(self.now);
        self.sio.handle_timeout(self.now);
        self.step();
    }

    pub fn advance(&mut self, d: Duration) {
        let ms = self.ms() + d.as_millis() as u64;
        self.advance_to(ms);
    }

    /// The one socket the server has connected (from its `Connected` events), the last one.
    pub fn server_socket(&self) -> SocketId {
        self.server_events
            .iter()
            .rev()
            .find_map(|e| match e {
                SocketEvent::Connected { socket, .. } => Some(socket.clone()),
                _ => None,
            })
            .expect("a connected socket")
    }

    /// The events the server received from its sockets, as `name args` JSON texts.
    pub fn server_received(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        self.server_events.retain(|e| match e {
            SocketEvent::Event { event, .. } => {
                out.push(event.payload().json().as_str().to_owned());
                false
            }
            _ => true,
        });
        out
    }

    /// The events the client received, as their JSON payloads.
    pub fn client_received(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        self.client_events.retain(|e| match e {
            Event::Message { event, .. } => {
                out.push(event.payload().json().as_str().to_owned());
                false
            }
            _ => true,
        });
        out
    }

    pub fn emit(&mut self, name: &str, args: &[Value]) {
        self.client
            .emit(self.now, "/", ev(name, args), EmitOptions::default())
            .unwrap();
        self.step();
    }
}
