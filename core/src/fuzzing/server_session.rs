//! The `server_session` target: the Engine.IO [`Server`] and the Socket.IO [`SocketServer`]
//! wired as the api layer wires them, driven by a sequence of operations decoded from the
//! input, with invariants checked after every one (see [`server_session`]).

mod wiring;

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::engine::server::{
    AllowedOrigins, Cors, Method, Request, Server, ServerConfig, TransportId, Transports,
};
use crate::engine::{Frame, Protocol};
use crate::socket::server::{RecoveryConfig, SocketServer, SocketServerConfig, Target};
use crate::socket::{Event, Payload};
use crate::{Str, Value};
pub use wiring::Reach;
use wiring::{Harness, Io};

/// Sessions one input may open; further handshakes are skipped, which keeps every step's
/// checks cheap and sends the fuzzer deeper into few sessions rather than wider.
const MAX_SESSIONS: usize = 4;
/// The server's `max_payload`: small, so that a chunk (up to 255 bytes) can exceed it.
const MAX_PAYLOAD: usize = 200;
/// The most bytes one step reads: its operands and one chunk.
const MAX_STEP: usize = 8 + 256;
const PATH: &str = "/socket.io/";
const ROOMS: [&str; 3] = ["r0", "r1", "r2"];
const NAMESPACES: [&str; 4] = ["/", "/a", "/admin", "/dyn-x"];

/// Realistic client packets for the `CANNED_*` operations (the fuzzer finds the rest).
const CANNED: [&str; 18] = [
    "3",
    "40",
    "40/admin,",
    "40/a,{\"token\":1}",
    "42[\"e\",1]",
    "421[\"e\",\"x\"]",
    "42/admin,7[\"e\"]",
    "43[\"ok\"]",
    "430[\"ok\"]",
    "41",
    "41/admin,",
    "451-[\"b\",{\"_placeholder\":true,\"num\":0}]",
    "40/dyn-x,",
    "2",
    "6",
    "1",
    "2probe",
    "5",
];

// The operations: the first byte of each step, modulo `OPS`. Operands follow as single bytes
// (`k` picks the k-th known item, modulo their number) and chunks (a length byte, then up to
// that many bytes). A missing byte reads as 0, so every input is a valid sequence.
const HANDSHAKE: u8 = 0; //         polling handshake GET
const POLL: u8 = 1; //              k: long-poll GET on the k-th session
const POST: u8 = 2; //              k, chunk: POST the chunk to the k-th session
const REQUEST: u8 = 3; //           flags, flags2, k, chunk: any request (see `request`)
const WS_UPGRADE: u8 = 4; //        k: WebSocket upgrade request for the k-th session
const WS_HANDSHAKE: u8 = 5; //      WebSocket handshake request (no sid)
const WS_OPEN: u8 = 6; //           k: the k-th accepted WebSocket opens
const WS_TEXT: u8 = 7; //           k, chunk: text message on the k-th open WebSocket
const WS_BINARY: u8 = 8; //         k, chunk: binary message on it
const WS_CLOSE: u8 = 9; //          k: the client closes the k-th WebSocket (accepted or open)
const ABORT: u8 = 10; //            k: the client of the k-th unanswered request goes away
const TIME: u8 = 11; //             t: time passes, (t >> 2) units of 1 ms, 50 ms, 1 s or 20 s
const ACCEPT: u8 = 12; //           k: accept the k-th pending CONNECT
const REJECT: u8 = 13; //           k, how: reject it
const EMIT: u8 = 14; //             k, how: emit to the k-th socket
const BROADCAST: u8 = 15; //        how, room[, timeout]: broadcast (see `decide`)
const JOIN: u8 = 16; //             k, room: the k-th socket joins a room
const LEAVE: u8 = 17; //            k, room: it leaves one
const DISCONNECT: u8 = 18; //       k, close: disconnect it
const ACK: u8 = 19; //              k, how: answer the k-th client event asking for an ack
const NAMESPACE: u8 = 20; //        which: add a namespace, or the dynamic ones
const TARGET_OP: u8 = 21; //        how, k, room: sockets_join / _leave / disconnect_sockets
const CANNED_POST: u8 = 22; //      k, which: POST a canned packet to the k-th session
const CANNED_WS: u8 = 23; //        k, which: send a canned packet on the k-th WebSocket
const RECOVER: u8 = 24; //         k, r, ws: CONNECT with the r-th pid and offset seen, over
                        //          POST to the k-th session or on the k-th WebSocket
const WRITTEN: u8 = 25; //           k: the driver wrote everything handed to the k-th open WebSocket
const PAUSE: u8 = 26; //             k: the application pauses reading the k-th session
const RESUME: u8 = 27; //            k: and resumes it
const OPS: u8 = 28;
const OP_NAMES: [&str; OPS as usize] = [
    "HANDSHAKE",
    "POLL",
    "POST",
    "REQUEST",
    "WS_UPGRADE",
    "WS_HANDSHAKE",
    "WS_OPEN",
    "WS_TEXT",
    "WS_BINARY",
    "WS_CLOSE",
    "ABORT",
    "TIME",
    "ACCEPT",
    "REJECT",
    "EMIT",
    "BROADCAST",
    "JOIN",
    "LEAVE",
    "DISCONNECT",
    "ACK",
    "NAMESPACE",
    "TARGET_OP",
    "CANNED_POST",
    "CANNED_WS",
    "RECOVER",
    "WRITTEN",
    "PAUSE",
    "RESUME",
];

/// Reads the input byte by byte; past its end every byte reads as 0.
struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos = (self.pos + 1).min(self.data.len());
        b
    }

    /// A length byte, then up to that many bytes.
    fn chunk(&mut self) -> &'a [u8] {
        let n = usize::from(self.byte()).min(self.data.len() - self.pos);
        let chunk = &self.data[self.pos..self.pos + n];
        self.pos += n;
        chunk
    }

    fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }
}

fn pick<T: Clone>(list: &[T], k: u8) -> Option<T> {
    if list.is_empty() {
        return None;
    }
    list.get(usize::from(k) % list.len()).cloned()
}

fn text(chunk: &[u8]) -> Str {
    Str::from(String::from_utf8_lossy(chunk).into_owned())
}

/// A Socket.IO server session driven by arbitrary input.
///
/// The first byte configures the servers (bits 0–1 the transports: 0 both, 1 both with
/// `allow_eio3` and every other handshake a Socket.IO v2 client's, 2 polling, 3 WebSocket; 2 no upgrades, 3 CORS,
/// 4 an `allow_request` refusing queries with `deny`, 5 connection state recovery, 6 recovery
/// through the middleware, 7 short timers); then each step's first byte picks an operation
/// (the constants in this file): HTTP requests of every kind, WebSocket upgrades, messages and
/// closes, aborted requests, time passing, and the application's decisions (accept or reject
/// CONNECTs, emit, broadcast, rooms, acks, disconnects, namespaces). Everything is drained
/// after every step, as the caller contract asks.
///
/// After every step it asserts: every transmit addresses a transport id handed in and in the
/// right state (a request is answered once; frames only on open WebSockets); what the server
/// writes decodes (polling payloads, frames, and the Socket.IO packets in them); the sockets
/// the `SocketServer` reports connected are those the harness saw `Connected` and not
/// `Disconnected`, each on an open Engine.IO session; sessions open and close once each, and
/// the machines' counts equal the harness's; each ack has at most one outcome; no step outputs
/// more than a bound linear in the input read so far (see `wiring`); after
/// `handle_timeout(now)` no deadline is still due. At the end it shuts the server down, lets a
/// day pass, and checks that every request was answered, every WebSocket closed, every ack
/// with a timeout resolved, and no timer is left. `now` comes from the caller.
pub fn server_session(now: Instant, data: &[u8]) {
    server_session_reach(now, data);
}

/// [`server_session`], returning how deep the input went.
pub fn server_session_reach(now: Instant, data: &[u8]) -> Reach {
    run(now, data, false)
}

/// [`server_session`], printing every step (its name and bytes) and every output of the
/// machines to stderr: to read a crash input as the session it is.
pub fn server_session_trace(now: Instant, data: &[u8]) -> Reach {
    run(now, data, true)
}

fn run(now: Instant, data: &[u8], tracing: bool) -> Reach {
    let mut input = Input { data, pos: 0 };
    let flags = input.byte();
    let short = flags & 0x80 != 0;
    let ms = |long: u64, short_ms: u64| Duration::from_millis(if short { short_ms } else { long });
    let recovery = (flags & 0x20 != 0).then_some(RecoveryConfig {
        max_disconnection_duration: ms(120_000, 5_000),
        skip_middlewares: flags & 0x40 == 0,
    });
    let engine = Server::new(ServerConfig {
        ping_interval: ms(25_000, 300),
        ping_timeout: ms(20_000, 200),
        upgrade_timeout: ms(10_000, 1_000),
        max_payload: MAX_PAYLOAD,
        // Short runs fill a queue in a few frames ("send buffer full").
        max_buffered_bytes: if short { 2_048 } else { 65_536 },
        write_timeout: ms(45_000, 1_000),
        path: PATH.to_owned(),
        transports: match flags & 3 {
            2 => Transports::POLLING_ONLY,
            3 => Transports::WEBSOCKET_ONLY,
            _ => Transports::ALL,
        },
        // 1: every other handshake is a Socket.IO v2 client's (Engine.IO v3).
        allow_eio3: flags & 3 == 1,
        // As the Socket.IO server's api layer sets it when CORS and the request filter are
        // both on (no input byte of its own: the corpus keeps its meaning), else every frame
        // kept.
        keep_text_frame: (flags & 0x18 == 0x18).then_some(crate::socket::resendable_frame),
        allow_upgrades: flags & 4 == 0,
        cors: (flags & 8 != 0).then_some(Cors {
            origins: AllowedOrigins::Reflect,
            credentials: true,
        }),
        allow_request: (flags & 0x10 != 0).then(|| {
            let f: crate::engine::server::AllowRequest = Box::new(|req: &Request| {
                if req.query.contains("deny") {
                    Err(Some("denied".to_owned()))
                } else {
                    Ok(())
                }
            });
            f
        }),
        // permessage-deflate is negotiated by the driver's codec, fuzzed on its own
        // (`compression`); the reference's HTTP compression stays on (the requests here send
        // no `Accept-Encoding`, so answers stay readable).
        per_message_deflate: None,
        http_compression: Some(crate::compress::http::HttpCompression::default()),
        // A header on each handshake's answer: on, as it costs the run nothing.
        cookie: Some(crate::engine::server::Cookie::default()),
        // An Engine.IO message before CONNECT, which the Socket.IO clients of this harness
        // would take for a bad packet.
        initial_packet: None,
        sid_seed: [5; 32],
    });
    let sio = SocketServer::new(SocketServerConfig {
        connect_timeout: ms(45_000, 2_000),
        recovery,
        id_seed: [6; 32],
        ..SocketServerConfig::default()
    });
    let mut app = App::new(Harness::new(now, engine, sio, recovery.is_some()));
    app.h.tracing = tracing;
    app.h.trace(|| format!("config {flags:#010b}"));
    while !input.is_empty() {
        let start = input.pos;
        let op = input.byte() % OPS;
        if tracing {
            // The step's bytes are known once it ran; its name first, for the outputs below.
            let at = app.h.now.duration_since(now);
            eprintln!("step {} at +{at:?}", OP_NAMES[usize::from(op)]);
        }
        // The bound counts this step's bytes too (at most a few operands and a chunk).
        app.h.begin(input.pos + MAX_STEP);
        app.step(op, &mut input);
        // A step that picked nothing called no machine: nothing can have changed.
        let touched = app.h.touched;
        app.h
            .trace(|| format!("  (bytes {:?})", &data[start..input.pos]));
        app.h.begin(input.pos);
        app.h.run_due_timers();
        if touched || app.h.touched {
            app.h.check();
        }
    }
    app.h.finish(input.pos)
}

/// The application: what it may emit, and the operations.
struct App {
    h: Harness,
    event: Event,
    binary_event: Event,
    dynamic: bool,
}

impl App {
    fn new(h: Harness) -> Self {
        let attachment = Value::Binary(Bytes::from_static(&[1, 2, 3]));
        App {
            h,
            event: Event::new("e", &("x", 1)).expect("a plain event"),
            binary_event: Event::from_values("b", &[attachment.clone(), "y".into(), attachment]),
            dynamic: false,
        }
    }

    fn step(&mut self, op: u8, input: &mut Input<'_>) {
        match op {
            HANDSHAKE => {
                let query = format!("EIO={}&transport=polling&t=x", self.next_eio());
                self.get(&query, None)
            }
            POLL => {
                if let Some(sid) = pick(&self.h.sids, input.byte()) {
                    let eio = self.eio_of(&sid);
                    self.get(&format!("EIO={eio}&transport=polling&sid={sid}"), Some(sid));
                }
            }
            POST => {
                let k = input.byte();
                let body = Bytes::copy_from_slice(input.chunk());
                self.post(k, body);
            }
            REQUEST => self.request(input),
            WS_UPGRADE => {
                if let Some(sid) = pick(&self.h.sids, input.byte()) {
                    let eio = self.eio_of(&sid);
                    let query = format!("EIO={eio}&transport=websocket&sid={sid}");
                    self.upgrade(&query, Some(sid));
                }
            }
            WS_HANDSHAKE => {
                if self.h.sids.len() < MAX_SESSIONS {
                    let query = format!("EIO={}&transport=websocket", self.next_eio());
                    self.upgrade(&query, None);
                }
            }
            WS_OPEN => {
                if let Some(id) = pick(&self.h.accepted_ws, input.byte()) {
                    let Some(Io::Accepted { sid }) = self.h.io.get(&id).cloned() else {
                        unreachable!("the accepted list holds accepted WebSockets");
                    };
                    self.h.set_io(id, Io::Open { sid });
                    self.h.engine.handle_ws_open(self.h.now, id);
                    self.h.flush();
                }
            }
            WS_TEXT | WS_BINARY | CANNED_WS => {
                let k = input.byte();
                let frame = match op {
                    WS_TEXT => Frame::Text(text(input.chunk())),
                    WS_BINARY => Frame::Binary(Bytes::copy_from_slice(input.chunk())),
                    _ => Frame::Text(Str::from_static(
                        CANNED[usize::from(input.byte()) % CANNED.len()],
                    )),
                };
                if let Some(id) = pick(&self.h.open_ws, k) {
                    if k & 0x80 != 0 {
                        // With the report of what was written, as the drivers send it.
                        let bytes = self.h.unwritten.remove(&id).unwrap_or(0);
                        self.h
                            .engine
                            .handle_ws_input(self.h.now, id, bytes, [frame]);
                    } else {
                        self.h.engine.handle_ws_message(self.h.now, id, frame);
                    }
                    self.h.flush();
                }
            }
            WRITTEN => {
                if let Some(id) = pick(&self.h.open_ws, input.byte()) {
                    let bytes = self.h.unwritten.remove(&id).unwrap_or(0);
                    self.h.engine.handle_ws_written(self.h.now, id, bytes);
                    self.h.flush();
                }
            }
            PAUSE | RESUME => {
                if let Some(sid) = pick(&self.h.sids, input.byte()) {
                    let _ = match op {
                        PAUSE => self.h.engine.pause_reading(&sid),
                        _ => self.h.engine.resume_reading(self.h.now, &sid),
                    };
                    self.h.flush();
                }
            }
            WS_CLOSE => {
                let mut ws = self.h.open_ws.clone();
                ws.extend_from_slice(&self.h.accepted_ws);
                if let Some(id) = pick(&ws, input.byte()) {
                    self.h.set_io(id, Io::Closed);
                    self.h.engine.handle_ws_closed(self.h.now, id);
                    self.h.flush();
                }
            }
            ABORT => {
                if let Some(id) = pick(&self.h.pending_http, input.byte()) {
                    self.h.set_io(id, Io::Aborted);
                    self.h.engine.handle_request_aborted(self.h.now, id);
                    self.h.flush();
                }
            }
            TIME => {
                let t = input.byte();
                let unit = [1, 50, 1_000, 20_000][usize::from(t & 3)];
                self.h.now += Duration::from_millis(u64::from(t >> 2) * unit);
                self.h.fire();
                self.h.assert_not_due();
            }
            CANNED_POST => {
                let k = input.byte();
                let packet = CANNED[usize::from(input.byte()) % CANNED.len()];
                self.post_packet(k, packet);
            }
            RECOVER => {
                let (k, r, ws) = (input.byte(), input.byte(), input.byte() & 1 != 0);
                let Some(rec) = pick(&self.h.recoveries, r) else {
                    return;
                };
                let mut connect = String::from("0");
                if rec.nsp != "/" {
                    connect.push_str(&rec.nsp);
                    connect.push(',');
                }
                let offset = rec.offset.as_ref().map_or("", |o| o.as_str());
                connect.push_str(&format!(
                    "{{\"pid\":\"{}\",\"offset\":\"{offset}\"}}",
                    rec.pid
                ));
                if ws {
                    if let Some(id) = pick(&self.h.open_ws, k) {
                        let frame = Frame::Text(Str::from(format!("4{connect}")));
                        self.h.engine.handle_ws_message(self.h.now, id, frame);
                        self.h.flush();
                    }
                } else {
                    self.post_packet(k, &format!("4{connect}"));
                }
            }
            _ => self.decide(op, input),
        }
    }

    /// The application's commands.
    fn decide(&mut self, op: u8, input: &mut Input<'_>) {
        let now = self.h.now;
        match op {
            ACCEPT => {
                let k = input.byte();
                if let Some(request) = pick(&self.h.pending_connects, k) {
                    self.h.pending_connects.retain(|r| *r != request);
                    let _ = self.h.sio.accept_connect(now, request);
                }
            }
            REJECT => {
                let (k, how) = (input.byte(), input.byte());
                if let Some(request) = pick(&self.h.pending_connects, k) {
                    self.h.pending_connects.retain(|r| *r != request);
                    let data = (how & 1 != 0).then(|| Value::from("why"));
                    let _ = self.h.sio.reject_connect(request, "not authorized", data);
                }
            }
            EMIT => {
                // `how`: plain, volatile or with ack (bits 0–1), the binary event (2), the
                // ack's timeout (3–4).
                let (k, how) = (input.byte(), input.byte());
                let Some(socket) = pick(&self.h.sockets, k) else {
                    return;
                };
                let event = match how & 4 {
                    0 => self.event.clone(),
                    _ => self.binary_event.clone(),
                };
                match how & 3 {
                    0 => assert!(self.h.sio.emit(&socket, event).is_ok()),
                    1 => assert!(self.h.sio.emit_volatile(&socket, event).is_ok()),
                    _ => {
                        let timeout = timeout(how >> 3);
                        let id = self.h.sio.emit_with_ack(now, &socket, event, timeout);
                        let id = id.expect("a connected socket takes an emit");
                        self.h.expect_ack(socket, id, timeout.is_some());
                    }
                }
            }
            BROADCAST => {
                // `how`: the kind (bits 0–1: plain, volatile, with ack), the target (2–3),
                // the namespace (5–7); an ack's timeout comes in one more byte.
                let how = input.byte();
                let nsp = pick(&self.h.namespaces, how >> 5).unwrap_or_default();
                let target = self.target(how >> 2, input);
                let event = self.event.clone();
                match how & 3 {
                    0 => {
                        let _ = self.h.sio.broadcast(&nsp, &target, event);
                    }
                    1 => {
                        let _ = self.h.sio.broadcast_volatile(&nsp, &target, event);
                    }
                    _ => {
                        let timeout = timeout(input.byte());
                        let b = self
                            .h
                            .sio
                            .broadcast_with_ack(now, &nsp, &target, event, timeout);
                        if let Ok(id) = b {
                            self.h.expect_broadcast_ack(id);
                        }
                    }
                }
            }
            JOIN | LEAVE => {
                let (k, r) = (input.byte(), input.byte());
                let Some(socket) = pick(&self.h.sockets, k) else {
                    return;
                };
                let room = self.room(r);
                let done = match op {
                    JOIN => self.h.sio.join(&socket, [room]).map_err(drop),
                    _ => self.h.sio.leave(&socket, &room).map_err(drop),
                };
                assert!(done.is_ok(), "a connected socket is known");
            }
            DISCONNECT => {
                let (k, close) = (input.byte(), input.byte() & 1 != 0);
                if let Some(socket) = pick(&self.h.sockets, k) {
                    let r = self.h.sio.disconnect(now, &socket, close);
                    assert!(r.is_ok(), "a connected socket can be disconnected");
                }
            }
            ACK => {
                let (k, how) = (input.byte(), input.byte());
                let Some((socket, id)) = pick(&self.h.client_acks, k) else {
                    return;
                };
                self.h.client_acks.retain(|a| *a != (socket.clone(), id));
                let payload = match how & 1 {
                    0 => Payload::ack(&("ok", 1)).expect("an ack payload"),
                    _ => Payload::from_value(&Value::Array(vec![Value::Binary(
                        Bytes::from_static(b"\xff"),
                    )])),
                };
                // The client asked for it and it is unanswered (a repeated id is one entry).
                let first = if how & 2 == 0 {
                    self.h.sio.ack(&socket, id, payload)
                } else {
                    // Answered with an event's own arguments, as `Message::ack_forward` does
                    // (binary ones go through the payload).
                    let event = match how & 1 {
                        0 => Event::new("e", &("ok", 1)),
                        _ => Event::new("e", &Bytes::from_static(b"\xff")),
                    };
                    self.h
                        .sio
                        .ack_forward(&socket, id, &event.expect("an event"))
                };
                assert!(first, "ack {id} refused for a connected socket");
            }
            NAMESPACE => {
                let which = input.byte();
                match usize::from(which) % (NAMESPACES.len() + 1) {
                    0 if !self.dynamic => {
                        // The reference's parent namespaces: names matching a filter.
                        self.dynamic = true;
                        let filter = Box::new(|name: &str| name.starts_with("/dyn"));
                        self.h.sio.add_dynamic_namespaces(filter);
                    }
                    0 => {}
                    i => {
                        let name = Str::from_static(NAMESPACES[i - 1]);
                        self.h.sio.add_namespace(name.clone());
                        if !self.h.namespaces.contains(&name) {
                            self.h.namespaces.push(name);
                        }
                    }
                }
            }
            TARGET_OP => {
                let how = input.byte();
                let nsp = pick(&self.h.namespaces, how >> 4).unwrap_or_default();
                let target = self.target(how >> 2, input);
                let room = self.room(input.byte());
                let _ = match how & 3 {
                    0 => self.h.sio.sockets_join(&nsp, &target, &[room]),
                    1 => self.h.sio.sockets_leave(&nsp, &target, &room),
                    2 => self.h.sio.disconnect_sockets(now, &nsp, &target, false),
                    _ => self.h.sio.disconnect_sockets(now, &nsp, &target, true),
                };
            }
            _ => unreachable!("op {op} is below OPS"),
        }
        self.h.settle();
    }

    /// A room: one of a few names, or the k-th socket's own room.
    fn room(&self, r: u8) -> Str {
        match pick(&self.h.sockets, r >> 2).filter(|_| r & 3 == 3) {
            Some(socket) => socket.as_room().clone(),
            None => Str::from_static(ROOMS[usize::from(r & 3) % ROOMS.len()]),
        }
    }

    /// A broadcast target from two bits of `how` and a room byte: everyone, a room, everyone
    /// but a room, or everyone but the k-th socket.
    fn target(&self, how: u8, input: &mut Input<'_>) -> Target {
        let r = input.byte();
        match how & 3 {
            0 => Target::all(),
            1 => Target::room(self.room(r)),
            2 => Target::all().except(self.room(r)),
            _ => match pick(&self.h.sockets, r) {
                Some(s) => Target::all().excluding(s),
                None => Target::all(),
            },
        }
    }

    fn handshake_allowed(&self) -> bool {
        self.h.sids.len() < MAX_SESSIONS
    }

    fn get(&mut self, query: &str, sid: Option<Str>) {
        if sid.is_none() && !self.handshake_allowed() {
            return;
        }
        let req = Request::new(Method::Get, &format!("{PATH}?{query}"));
        let io = Io::Http { get: true, sid };
        self.send(req, io);
    }

    /// The `EIO` of the next handshake: with `allow_eio3`, every other one is 3 (and every
    /// fourth asks for base64).
    fn next_eio(&self) -> &'static str {
        match (self.h.engine.config().allow_eio3, self.h.sids.len() % 4) {
            (true, 1) => "3",
            (true, 3) => "3&b64=1",
            _ => "4",
        }
    }

    /// The `EIO` of session `sid`.
    fn eio_of(&self, sid: &Str) -> &'static str {
        match self.h.protocol_of(Some(sid)) {
            Protocol::V3 => "3",
            Protocol::V4 => "4",
        }
    }

    /// POSTs one packet to the k-th session, framed for its protocol revision.
    fn post_packet(&mut self, k: u8, packet: &str) {
        let Some(sid) = pick(&self.h.sids, k) else {
            return;
        };
        let body = match self.h.protocol_of(Some(&sid)) {
            Protocol::V4 => packet.to_owned(),
            Protocol::V3 => format!("{}:{packet}", crate::engine::v3::utf16_len(packet)),
        };
        self.post(k, Bytes::from(body));
    }

    fn post(&mut self, k: u8, body: Bytes) {
        let Some(sid) = pick(&self.h.sids, k) else {
            return;
        };
        let eio = self.eio_of(&sid);
        let mut req = Request::new(
            Method::Post,
            &format!("{PATH}?EIO={eio}&transport=polling&sid={sid}"),
        );
        // A v3 body starting with 0 or 1 is sent as a binary (XHR2) payload.
        let binary = eio == "3" && body.first().is_some_and(|&b| b <= 1);
        req.content_type = Some(
            if binary {
                "application/octet-stream"
            } else {
                "text/plain;charset=UTF-8"
            }
            .to_owned(),
        );
        req.body = body;
        self.send(
            req,
            Io::Http {
                get: false,
                sid: None,
            },
        );
    }

    fn upgrade(&mut self, query: &str, sid: Option<Str>) {
        let mut req = Request::new(Method::Get, &format!("{PATH}?{query}"));
        req.websocket_upgrade = true;
        self.send(req, Io::Upgrade { sid });
    }

    /// Any request: `flags` picks the method (bits 0–1), the sid (2–3: none, the k-th, the
    /// k-th forged, or the chunk as the whole raw query), the transport (4–5: polling,
    /// websocket, an unknown one, none), EIO=3 (6) and the upgrade header (7); `flags2` a wrong
    /// path (0), a binary content type (1), an origin (2) or an invalid one (3), `deny` in the
    /// query (4), no EIO (5), an empty sid (6), a second transport (7).
    fn request(&mut self, input: &mut Input<'_>) {
        let (flags, flags2, k) = (input.byte(), input.byte(), input.byte());
        let chunk = input.chunk();
        let method = [Method::Get, Method::Post, Method::Options, Method::Other];
        let method = method[usize::from(flags & 3)];
        let mut query = String::new();
        if flags2 & 0x20 == 0 {
            query.push_str(if flags & 0x40 != 0 { "EIO=3" } else { "EIO=4" });
        }
        match (flags >> 4) & 3 {
            0 => query.push_str("&transport=polling"),
            1 => query.push_str("&transport=websocket"),
            2 => query.push_str("&transport=flashsocket"),
            _ => {}
        }
        if flags2 & 0x80 != 0 {
            query.push_str("&transport=websocket");
        }
        match (flags >> 2) & 3 {
            0 => {}
            1 | 2 => {
                let Some(sid) = pick(&self.h.sids, k) else {
                    return;
                };
                query.push_str("&sid=");
                let sid = sid.as_str();
                if (flags >> 2) & 3 == 2 {
                    // Forged: the last character changed.
                    let last = if sid.ends_with('A') { 'B' } else { 'A' };
                    query.push_str(&sid[..sid.len().saturating_sub(1)]);
                    query.push(last);
                } else {
                    query.push_str(sid);
                }
            }
            _ => query = String::from_utf8_lossy(chunk).into_owned(),
        }
        if flags2 & 0x40 != 0 {
            query.push_str("&sid=");
        }
        if flags2 & 0x10 != 0 {
            query.push_str("&deny=1");
        }
        let (sid, _) = Harness::params(&query);
        let sid = sid.filter(|s| !s.is_empty());
        if sid.is_none() && !self.handshake_allowed() {
            return;
        }
        let path = if flags2 & 1 != 0 { "/other/" } else { PATH };
        let mut req = Request::new(method, &format!("{path}?{query}"));
        // As `Request::from_parts` detects it: only a GET can ask for an upgrade.
        req.websocket_upgrade = flags & 0x80 != 0 && method == Method::Get;
        if flags2 & 2 != 0 {
            req.content_type = Some("application/octet-stream".to_owned());
        }
        req.origin = match flags2 & 0xc {
            0 => None,
            4 => Some("http://a.example".to_owned()),
            _ => Some("http://a.example\u{1}".to_owned()),
        };
        if method == Method::Options {
            req.access_control_request_headers = Some("content-type".to_owned());
        }
        req.body = Bytes::copy_from_slice(chunk);
        let io = match req.websocket_upgrade {
            true => Io::Upgrade { sid },
            false => Io::Http {
                get: method == Method::Get,
                sid,
            },
        };
        self.send(req, io);
    }

    fn send(&mut self, req: Request, io: Io) {
        let id: TransportId = self.h.new_id(io);
        self.h.engine.handle_request(self.h.now, id, req);
        self.h.flush();
    }
}

/// An ack timeout from two bits: none, 0 (due at once), 500 ms, 30 s.
fn timeout(bits: u8) -> Option<Duration> {
    match bits & 3 {
        0 => None,
        1 => Some(Duration::ZERO),
        2 => Some(Duration::from_millis(500)),
        _ => Some(Duration::from_secs(30)),
    }
}
