//! A runtime-free Engine.IO echo server: the bare sans-IO state machine
//! [`sio_core::engine::server::Server`] driven by a hand-written event loop on `mio`. One
//! thread, no async runtime, no futures, not even `sio_core::api`.
//!
//! What it demonstrates:
//! - the core embeds in any event loop: this file owns the sockets, the clock (it reads
//!   [`Instant::now`] and hands it to every input) and the only timer (the timeout of
//!   `poll(2)`, computed from [`Server::poll_timeout`]);
//! - the caller contract of `sio_core`: after every input or command, drain `poll_transmit`
//!   and `poll_event` until both are `None` ([`Loop::drain`]); never wait with output queued;
//! - long-poll parking: a GET with nothing to deliver is not answered at once; its connection
//!   waits until a later [`Transmit::Response`] names its [`TransportId`] (a message, a ping,
//!   a close), or until the client goes away ([`Server::handle_request_aborted`]);
//! - the WebSocket upgrade: the core decides ([`Transmit::AcceptWebSocket`] or
//!   [`Transmit::RefuseWebSocket`]); this loop writes the 101 itself and hands the socket to
//!   the sync `tungstenite` in non-blocking mode.
//!
//! Limits (an example, not a production server): plain HTTP/1.1 on loopback, no TLS; hand-rolled
//! request parsing (request line, headers, `Content-Length` bodies; no chunked bodies, no
//! `Expect: 100-continue`); pipelined requests are answered one at a time; idle connections
//! are never timed out; the listener gives up on the first accept error it does not expect.
//!
//! Behaviour and flags as `eio-echo` (see `sio_tests::echo`):
//! `eio-echo-blocking [--port 0] [--ping-interval MS] [--ping-timeout MS]`; prints
//! `listening <port>` once ready.

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use sio_core::engine::server::{
    queued_size, Event, Request, Response, Server, ServerConfig, Transmit, TransportId,
};
use sio_core::engine::Frame;
use sio_core::Str;
use sio_tests::echo::answer;
use tungstenite::handshake::derive_accept_key;
use tungstenite::protocol::{Role, WebSocketConfig};
use tungstenite::{Message, Utf8Bytes, WebSocket};

const LISTENER: Token = Token(0);
/// The largest request head (request line and headers) accepted.
const MAX_HEAD: usize = 16 * 1024;

fn main() -> io::Result<()> {
    let (port, config) = args();
    let mut listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
    let poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    println!("listening {}", listener.local_addr()?.port());
    Loop {
        poll,
        listener,
        server: Server::new(config),
        conns: HashMap::new(),
        routes: HashMap::new(),
        closing: HashMap::new(),
        todo: Vec::new(),
        next_token: 1,
        next_id: 0,
    }
    .run()
}

fn args() -> (u16, ServerConfig) {
    let (mut port, mut interval, mut timeout) = (0, 25_000, 20_000);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--port" => port = value.parse().expect("port"),
            "--ping-interval" => interval = value.parse().expect("ms"),
            "--ping-timeout" => timeout = value.parse().expect("ms"),
            other => panic!("unknown flag {other}"),
        }
    }
    let config = ServerConfig {
        ping_interval: Duration::from_millis(interval),
        ping_timeout: Duration::from_millis(timeout),
        ..Default::default()
    };
    (port, config)
}

/// A TCP stream with bytes to write before anything else: an HTTP answer not yet flushed, or
/// the 101 that must precede the first WebSocket frame. `tungstenite` writes through it, so the
/// 101 goes out first even when the socket is full.
struct Io {
    tcp: TcpStream,
    out: Vec<u8>,
}

impl Io {
    fn flush_out(&mut self) -> io::Result<()> {
        while !self.out.is_empty() {
            match self.tcp.write(&self.out) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => drop(self.out.drain(..n)),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl Read for Io {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.tcp.read(buf)
    }
}

impl Write for Io {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.flush_out()?;
        self.tcp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_out()?;
        self.tcp.flush()
    }
}

/// An HTTP/1.1 connection between requests or waiting for an answer.
struct Http {
    io: Io,
    /// Read and not parsed yet.
    inbuf: Vec<u8>,
    /// Body bytes still to discard (a body longer than the core wants to see).
    skip: usize,
    /// Whether the connection stays open after the current answer.
    keep_alive: bool,
    /// The `Sec-WebSocket-Key` of the current request (for the 101).
    ws_key: String,
}

enum Mode {
    Http(Http),
    Ws(Box<WebSocket<Io>>),
}

struct Conn {
    mode: Mode,
    /// The request awaiting its answer, or the WebSocket, as the core knows it.
    id: Option<TransportId>,
    /// Close once the output is written (a refused upgrade, `Connection: close`).
    close_when_flushed: bool,
    /// A write failed while draining: close at the next service.
    broken: bool,
    /// WebSocket frames handed to tungstenite and not flushed yet, in the core's
    /// `queued_size` units: reported written once a flush completes.
    unflushed: usize,
}

struct Loop {
    poll: Poll,
    listener: TcpListener,
    server: Server,
    conns: HashMap<Token, Conn>,
    /// The connection of each request or WebSocket the core may still address.
    routes: HashMap<TransportId, Token>,
    /// WebSockets closing after a `CloseWs`, which an `AbortWs` may still name.
    closing: HashMap<TransportId, Token>,
    /// Connections to service again: output queued, a request answered, a write failed.
    todo: Vec<Token>,
    next_token: usize,
    next_id: u64,
}

impl Loop {
    /// The loop of `sio_core`'s caller contract: wait for I/O or the core's deadline, feed the
    /// core, drain it.
    fn run(mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(256);
        loop {
            let deadline = self.server.poll_timeout();
            // mio rounds the timeout up to whole milliseconds: no early wake-up spin.
            let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            match self.poll.poll(&mut events, timeout) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                r => r?,
            }
            for event in &events {
                match event.token() {
                    LISTENER => self.accept()?,
                    token => self.service(token),
                }
                self.work_off();
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| d <= now) {
                self.server.handle_timeout(now);
                self.drain(now);
                self.work_off();
            }
        }
    }

    /// The caller contract: after an input or a command, carry out every transmit and deliver
    /// every event (to the echo, whose commands queue more) until the core has nothing left.
    fn drain(&mut self, now: Instant) {
        loop {
            if let Some(t) = self.server.poll_transmit() {
                self.transmit(now, t);
            } else if let Some(e) = self.server.poll_event() {
                self.on_event(now, e);
            } else {
                return;
            }
        }
    }

    /// The application: the echo of `sio_tests::echo`, as commands to the core.
    fn on_event(&mut self, now: Instant, event: Event) {
        if let Event::Message { sid, packet, .. } = event {
            let (replies, close) = answer(packet);
            for reply in replies {
                let _ = self.server.send(&sid, reply);
            }
            if close {
                let _ = self.server.close(now, &sid);
            }
        }
    }

    fn work_off(&mut self) {
        while let Some(token) = self.todo.pop() {
            self.service(token);
        }
    }

    fn accept(&mut self) -> io::Result<()> {
        loop {
            let mut tcp = match self.listener.accept() {
                Ok((tcp, _)) => tcp,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == ErrorKind::ConnectionAborted => continue,
                Err(e) => return Err(e),
            };
            let _ = tcp.set_nodelay(true);
            let token = Token(self.next_token);
            self.next_token += 1;
            let interest = Interest::READABLE | Interest::WRITABLE;
            self.poll.registry().register(&mut tcp, token, interest)?;
            let http = Http {
                io: Io {
                    tcp,
                    out: Vec::new(),
                },
                inbuf: Vec::new(),
                skip: 0,
                keep_alive: true,
                ws_key: String::new(),
            };
            let conn = Conn {
                mode: Mode::Http(http),
                id: None,
                close_when_flushed: false,
                broken: false,
                unflushed: 0,
            };
            self.conns.insert(token, conn);
        }
    }

    /// Makes progress on a connection (sockets are edge-triggered: write what is queued, read
    /// until the socket would block) and feeds the core what arrived.
    fn service(&mut self, token: Token) {
        let Some(conn) = self.conns.get(&token) else {
            return;
        };
        match conn.mode {
            _ if conn.broken => self.teardown(token),
            Mode::Http(_) => self.service_http(token),
            Mode::Ws(_) => self.service_ws(token),
        }
    }

    fn service_http(&mut self, token: Token) {
        let cap = MAX_HEAD + 4 + self.server.config().max_payload + 1;
        let mut buf = [0; 16 * 1024];
        loop {
            let Some(conn) = self.conns.get_mut(&token) else {
                return;
            };
            let Mode::Http(http) = &mut conn.mode else {
                return; // Upgraded meanwhile (and queued for service as a WebSocket).
            };
            let done = match http.io.flush_out() {
                Ok(()) => conn.close_when_flushed,
                Err(e) => e.kind() != ErrorKind::WouldBlock,
            };
            let gone = done
                || match http.io.tcp.read(&mut buf) {
                    Ok(0) => true,
                    Ok(n) => {
                        http.inbuf.extend_from_slice(&buf[..n]);
                        false
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                    Err(e) => e.kind() != ErrorKind::Interrupted,
                };
            if gone || http.inbuf.len() > cap {
                return self.teardown(token);
            }
            self.parse_requests(token);
        }
    }

    /// Hands the core every complete request, one at a time (the next once the previous one
    /// is answered).
    fn parse_requests(&mut self, token: Token) {
        let max_payload = self.server.config().max_payload;
        loop {
            let Some(conn) = self.conns.get_mut(&token) else {
                return;
            };
            let Mode::Http(http) = &mut conn.mode else {
                return;
            };
            let skipped = http.skip.min(http.inbuf.len());
            http.inbuf.drain(..skipped);
            http.skip -= skipped;
            if conn.id.is_some() || conn.close_when_flushed || http.skip > 0 {
                return;
            }
            let req = match parse_request(&http.inbuf, max_payload) {
                Ok(None) => return,
                Ok(Some(p)) => {
                    http.inbuf.drain(..p.used);
                    http.skip = p.skip;
                    http.keep_alive = p.keep_alive;
                    http.ws_key = p.ws_key;
                    p.req
                }
                Err(()) => {
                    let bad = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n";
                    http.io.out.extend_from_slice(bad);
                    conn.close_when_flushed = true;
                    return self.todo.push(token);
                }
            };
            let id = TransportId(self.next_id);
            self.next_id += 1;
            conn.id = Some(id);
            self.routes.insert(id, token);
            let now = Instant::now();
            self.server.handle_request(now, id, req);
            self.drain(now);
        }
    }

    fn service_ws(&mut self, token: Token) {
        loop {
            let Some(conn) = self.conns.get_mut(&token) else {
                return;
            };
            let Mode::Ws(ws) = &mut conn.mode else {
                return;
            };
            // A full socket blocks the flush, not the reading.
            let flushed = ws.flush();
            let done = flushed.is_ok();
            if flushed.is_err_and(|e| !would_block(&e)) {
                return self.teardown(token);
            }
            if let (true, Some(id)) = (done && conn.unflushed > 0, conn.id) {
                // Everything handed to tungstenite is on the socket: the core's queue for
                // this client shrinks by as much (its backpressure accounting).
                let written = std::mem::take(&mut conn.unflushed);
                let now = Instant::now();
                self.server.handle_ws_written(now, id, written);
                self.drain(now);
                continue;
            }
            let frame = match ws.read() {
                Ok(Message::Text(t)) => match Str::from_utf8(Bytes::from(t)) {
                    Ok(s) => Frame::Text(s),
                    Err(_) => return self.teardown(token),
                },
                Ok(Message::Binary(b)) => Frame::Binary(b),
                // Pings and closes: tungstenite queues the answers, the next flush sends them.
                Ok(_) => continue,
                Err(e) if would_block(&e) => return,
                Err(_) => return self.teardown(token),
            };
            // After a `CloseWs` the core has forgotten the socket: drop what still arrives.
            if let Some(id) = conn.id {
                let now = Instant::now();
                self.server.handle_ws_message(now, id, frame);
                self.drain(now);
            }
        }
    }

    /// Closes a connection; tells the core if it still knew it.
    fn teardown(&mut self, token: Token) {
        let Some(mut conn) = self.conns.remove(&token) else {
            return;
        };
        let tcp = match &mut conn.mode {
            Mode::Http(http) => &mut http.io.tcp,
            Mode::Ws(ws) => &mut ws.get_mut().tcp,
        };
        let _ = self.poll.registry().deregister(tcp);
        self.closing.retain(|_, t| *t != token);
        let Some(id) = conn.id.filter(|id| self.routes.remove(id).is_some()) else {
            return;
        };
        let now = Instant::now();
        match conn.mode {
            Mode::Http(_) => self.server.handle_request_aborted(now, id),
            Mode::Ws(_) => self.server.handle_ws_closed(now, id),
        }
        self.drain(now);
    }

    /// Carries out one transmit. Writes only queue (and try the socket once); failures mark
    /// the connection broken for [`service`](Self::service), so draining never recurses.
    fn transmit(&mut self, now: Instant, t: Transmit) {
        match t {
            // `encoded`: a long-poll answer the core wants compressed is compressed here.
            Transmit::Response { to, response } => self.respond(to, &response.encoded(), false),
            Transmit::RefuseWebSocket { to, response } => self.respond(to, &response, true),
            Transmit::AcceptWebSocket { to, .. } => self.upgrade(now, to),
            Transmit::WsFrame { to, frame } => {
                let Some(&token) = self.routes.get(&to) else {
                    return;
                };
                let Some(Conn {
                    mode: Mode::Ws(ws),
                    broken,
                    unflushed,
                    ..
                }) = self.conns.get_mut(&token)
                else {
                    return;
                };
                *unflushed += queued_size(&frame);
                let message = match frame {
                    Frame::Text(t) => match Utf8Bytes::try_from(t.into_bytes()) {
                        Ok(t) => Message::Text(t),
                        Err(_) => return,
                    },
                    Frame::Binary(b) => Message::Binary(b),
                };
                // Queued in tungstenite's buffer; `service` flushes it.
                *broken |= ws.write(message).is_err_and(|e| !would_block(&e));
                self.todo.push(token);
            }
            Transmit::CloseWs { to } => {
                let Some(token) = self.routes.remove(&to) else {
                    return;
                };
                let Some(conn) = self.conns.get_mut(&token) else {
                    return;
                };
                conn.id = None;
                self.closing.insert(to, token);
                if let Mode::Ws(ws) = &mut conn.mode {
                    // Sends a close frame; the socket closes when the client answers it.
                    conn.broken |= ws.close(None).is_err_and(|e| !would_block(&e));
                }
                self.todo.push(token);
            }
            Transmit::AbortWs { to } => {
                // The client stopped reading (or did not take the close in time): drop it.
                // The core has forgotten it already; `teardown` tells it nothing more.
                let Some(token) = self.routes.remove(&to).or_else(|| self.closing.remove(&to))
                else {
                    return;
                };
                if let Some(conn) = self.conns.get_mut(&token) {
                    conn.id = None;
                    conn.broken = true;
                }
                self.todo.push(token);
            }
            // Only a layer above the Engine.IO server pauses reading; this echo has none.
            Transmit::PauseRead { .. } | Transmit::ResumeRead { .. } => {}
        }
    }

    /// Writes the answer to request `to` (a long-poll parked earlier, maybe).
    fn respond(&mut self, to: TransportId, r: &Response, close: bool) {
        let Some(token) = self.routes.remove(&to) else {
            return;
        };
        let Some(conn) = self.conns.get_mut(&token) else {
            return;
        };
        let Mode::Http(http) = &mut conn.mode else {
            return;
        };
        conn.id = None;
        conn.close_when_flushed |= close || !http.keep_alive;
        let out = &mut http.io.out;
        // Clients read the status code, not the reason phrase.
        let reason = if r.status < 300 { "OK" } else { "Error" };
        out.extend_from_slice(format!("HTTP/1.1 {} {reason}\r\n", r.status).as_bytes());
        for (name, value) in &r.headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        if conn.close_when_flushed && r.header("connection").is_none() {
            out.extend_from_slice(b"connection: close\r\n");
        }
        out.extend_from_slice(format!("content-length: {}\r\n\r\n", r.body.len()).as_bytes());
        out.extend_from_slice(&r.body);
        self.todo.push(token);
    }

    /// Completes the upgrade of request `to`: the 101, then a WebSocket on the same socket,
    /// then `handle_ws_open` (an input: `drain`'s loop carries out what it queues).
    fn upgrade(&mut self, now: Instant, to: TransportId) {
        let Some(&token) = self.routes.get(&to) else {
            return;
        };
        // Until accepted, an id routes to an HTTP connection.
        let Some(Conn {
            mode:
                Mode::Http(Http {
                    mut io,
                    inbuf,
                    ws_key,
                    ..
                }),
            id,
            ..
        }) = self.conns.remove(&token)
        else {
            return;
        };
        let accept = derive_accept_key(ws_key.as_bytes());
        io.out.extend_from_slice(
            format!(
                "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\
                 connection: Upgrade\r\nsec-websocket-accept: {accept}\r\n\r\n"
            )
            .as_bytes(),
        );
        let max = Some(self.server.config().max_payload);
        let config = WebSocketConfig::default()
            .max_message_size(max)
            .max_frame_size(max);
        let ws = WebSocket::from_partially_read(io, inbuf, Role::Server, Some(config));
        let conn = Conn {
            mode: Mode::Ws(Box::new(ws)),
            id,
            close_when_flushed: false,
            broken: false,
            unflushed: 0,
        };
        self.conns.insert(token, conn);
        self.todo.push(token);
        self.server.handle_ws_open(now, to);
    }
}

fn would_block(e: &tungstenite::Error) -> bool {
    matches!(e, tungstenite::Error::Io(e) if e.kind() == ErrorKind::WouldBlock)
}

/// A request parsed from the front of a connection's buffer.
struct Parsed {
    req: Request,
    /// Bytes of the buffer it took.
    used: usize,
    /// Body bytes beyond what the core reads, to discard.
    skip: usize,
    keep_alive: bool,
    ws_key: String,
}

/// Parses one request: `Ok(None)` until it is complete, `Err` if it is not HTTP/1.x or too
/// large. Reads at most `max_payload + 1` bytes of the body, as the core asks of drivers.
fn parse_request(buf: &[u8], max_payload: usize) -> Result<Option<Parsed>, ()> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return if buf.len() > MAX_HEAD {
            Err(())
        } else {
            Ok(None)
        };
    };
    if end > MAX_HEAD {
        return Err(());
    }
    let head = std::str::from_utf8(&buf[..end]).map_err(|_| ())?;
    let mut lines = head.split("\r\n");
    let mut line = lines.next().unwrap_or_default().split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (line.next(), line.next(), line.next(), line.next())
    else {
        return Err(());
    };
    if !version.starts_with("HTTP/1.") {
        return Err(());
    }
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':').ok_or(())?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim()));
    }
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
    if header("transfer-encoding").is_some() {
        return Err(()); // Chunked bodies are not supported (engine.io-client sends a length).
    }
    let length: usize = header("content-length")
        .map_or(Ok(0), str::parse)
        .map_err(|_| ())?;
    let take = length.min(max_payload.saturating_add(1));
    let start = end + 4;
    if buf.len() < start + take {
        return Ok(None);
    }
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let body = Bytes::copy_from_slice(&buf[start..start + take]);
    let connection = header("connection").unwrap_or_default();
    let closes = connection
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case("close"));
    Ok(Some(Parsed {
        req: Request::from_parts(method, path, query, header, body),
        used: start + take,
        skip: length - take,
        keep_alive: version == "HTTP/1.1" && !closes,
        ws_key: header("sec-websocket-key").unwrap_or_default().to_owned(),
    }))
}
