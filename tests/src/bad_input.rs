//! Helpers of the bad-input table (`tests/tests/bad_input/`): blocking raw clients on std
//! sockets (HTTP written by hand, Engine.IO long-polling, WebSocket through `tungstenite`), the
//! notation answers are written in (the one `tests/js/bad-input-reference.mjs` prints for the
//! reference, so expected values are copied from its output), and the healthy echo client
//! that runs beside the rows.
//!
//! Notation of an answer:
//! - HTTP: `<status> <json|text|html|-> <body>`;
//! - WebSocket: `recv <frames>; ` (what arrived, pings left out), then `open` (an echo sent
//!   after the bad input came back), `close <code>` (a close frame; 1005 = without a code) or
//!   `tcp close` (no close frame), then `; reason <the server's disconnect reason>` (`-`: none);
//! - polling: `post <answer>; ` per bad POST, then `open` (a later echo came back),
//!   `gone <answer to the next POST>` or `closed <answer to a GET>`, then `; reason …`.
//!
//! Bodies longer than 120 characters are cut (`<first 60>…(<N> bytes)`), control characters
//! are written `\xNN`, socket ids in CONNECT replies `"sid":"…"`.

use std::collections::{HashMap, VecDeque};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, WebSocket};

/// Disconnect reasons the server application saw, per socket id.
pub type Reasons = Arc<Mutex<HashMap<String, Vec<String>>>>;

/// The reasons recorded for socket `socket` (joined by `,`), waiting up to `wait` for one;
/// `-` if none.
pub fn reason_of(reasons: &Reasons, socket: &str, wait: Duration) -> String {
    let end = Instant::now() + wait;
    loop {
        if let Some(r) = reasons
            .lock()
            .unwrap()
            .get(socket)
            .filter(|r| !r.is_empty())
        {
            return r.join(",");
        }
        if Instant::now() >= end {
            return "-".to_owned();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// How long to wait for the reason of a connection the server closed.
pub const REASON_WAIT: Duration = Duration::from_secs(3);

// ---------------------------------------------------------------------------------------------
// Notation

/// Control characters as `\xNN`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if (c as u32) < 0x20 || c as u32 == 0x7f {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// [`escape`]d, and the ids in CONNECT replies (`"sid":"<id>"`) written `"sid":"…"`.
pub fn clean(s: &str) -> String {
    let out = escape(s);
    let mut rest = out.as_str();
    let mut done = String::with_capacity(out.len());
    while let Some(i) = rest.find("\"sid\":\"") {
        let start = i + 7;
        done.push_str(&rest[..start]);
        let tail = &rest[start..];
        match tail.find('"') {
            Some(end) => {
                done.push('…');
                rest = &tail[end..];
            }
            None => rest = tail,
        }
    }
    done.push_str(rest);
    done
}

/// `s` [`clean`]ed, and cut if longer than 120 characters.
pub fn cut(s: &str) -> String {
    shorten(s, clean(s))
}

/// `s` [`escape`]d, and cut if longer than 120 characters (for inputs).
pub fn cut_input(s: &str) -> String {
    shorten(s, escape(s))
}

fn shorten(s: &str, c: String) -> String {
    if c.chars().count() > 120 {
        let head: String = c.chars().take(60).collect();
        format!("{head}…({} bytes)", s.len())
    } else {
        c
    }
}

fn kind(ctype: Option<&str>) -> &str {
    match ctype {
        None => "-",
        Some(c) if c.starts_with("application/json") => "json",
        Some(c) if c.starts_with("text/plain") => "text",
        Some(c) if c.starts_with("text/html") => "html",
        Some(c) => c,
    }
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP

/// An HTTP answer read off the socket.
#[derive(Debug, Default)]
pub struct HttpAnswer {
    /// Status code; 0 when no HTTP answer came.
    pub status: u16,
    /// `Content-Type`.
    pub ctype: Option<String>,
    /// The body (chunked encoding removed).
    pub body: Vec<u8>,
    /// What followed the answer on the socket (after a 101: WebSocket frames or more HTTP).
    pub rest: Vec<u8>,
    /// What was read instead, when it was not HTTP.
    pub error: Option<String>,
}

impl HttpAnswer {
    /// The answer in the notation.
    pub fn notation(&self) -> String {
        if self.status == 0 {
            return self.error.clone().unwrap_or_else(|| "no answer".into());
        }
        let body = cut(&String::from_utf8_lossy(&self.body));
        format!("{} {} {}", self.status, kind(self.ctype.as_deref()), body)
            .trim_end()
            .to_owned()
    }
}

/// Writes `head` and `body` on a new connection and reads until the peer closes or `wait`
/// passes; returns what was read.
pub fn raw_exchange(port: u16, head: &[u8], body: &[u8], wait: Duration) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    // The peer may answer (and close) before the whole body is written.
    let _ = s.write_all(head).and_then(|()| s.write_all(body));
    let end = Instant::now() + wait;
    let mut out = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    while Instant::now() < end {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Parses one HTTP/1.1 answer at the start of `data`.
pub fn parse_http(data: &[u8]) -> HttpAnswer {
    if !data.starts_with(b"HTTP/") {
        let error = if data.is_empty() {
            "no answer".to_owned()
        } else {
            format!("garbage {}", cut(&String::from_utf8_lossy(data)))
        };
        return HttpAnswer {
            error: Some(error),
            ..HttpAnswer::default()
        };
    }
    let end = find(data, b"\r\n\r\n").unwrap_or(data.len());
    let head = String::from_utf8_lossy(&data[..end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let header = |name: &str| {
        head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    let mut body = data.get(end + 4..).unwrap_or_default().to_vec();
    let mut rest = Vec::new();
    if let Some(len) = header("content-length").and_then(|l| l.parse::<usize>().ok()) {
        if body.len() > len {
            rest = body.split_off(len);
        }
    } else if header("transfer-encoding").as_deref() == Some("chunked") {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(eol) = find(&body[at..], b"\r\n").map(|p| at + p) {
            let n = usize::from_str_radix(String::from_utf8_lossy(&body[at..eol]).trim(), 16)
                .unwrap_or(0);
            if n == 0 {
                break;
            }
            out.extend_from_slice(&body[eol + 2..(eol + 2 + n).min(body.len())]);
            at = eol + 2 + n + 2;
            if at >= body.len() {
                break;
            }
        }
        body = out;
    }
    HttpAnswer {
        status,
        ctype: header("content-type"),
        body,
        rest,
        error: None,
    }
}

/// One request with `Connection: close`, its answer read until the server closes (at most
/// 10 s: a long-poll with nothing to send would wait for the next ping).
pub fn request(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpAnswer {
    let mut head =
        format!("{method} {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    parse_http(&raw_exchange(
        port,
        head.as_bytes(),
        body,
        Duration::from_secs(10),
    ))
}

/// A WebSocket upgrade request written by hand (`overrides`: header → value, `None` leaves it
/// out); the answer in the notation, `101` if accepted (`101 then <answer>` if an HTTP answer
/// followed on the socket, the reference's quirk for a missing `EIO`).
pub fn upgrade(port: u16, target: &str, overrides: &[(&str, Option<&str>)]) -> String {
    let mut headers: Vec<(&str, Option<&str>)> = vec![
        ("Host", Some("localhost")),
        ("Upgrade", Some("websocket")),
        ("Connection", Some("Upgrade")),
        ("Sec-WebSocket-Key", Some("dGhlIHNhbXBsZSBub25jZQ==")),
        ("Sec-WebSocket-Version", Some("13")),
    ];
    for (k, v) in overrides {
        match headers.iter_mut().find(|(h, _)| h == k) {
            Some(h) => h.1 = *v,
            None => headers.push((k, *v)),
        }
    }
    let mut head = format!("GET {target} HTTP/1.1\r\n");
    for (k, v) in headers {
        if let Some(v) = v {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str("\r\n");
    // An accepted upgrade stays open: read what comes within a second.
    let data = raw_exchange(port, head.as_bytes(), b"", Duration::from_secs(1));
    let a = parse_http(&data);
    if a.status == 101 {
        let end = find(&data, b"\r\n\r\n").map_or(data.len(), |e| e + 4);
        return match find(&data[end..], b"HTTP/1.1") {
            Some(i) => format!("101 then {}", parse_http(&data[end + i..]).notation()),
            None => "101".to_owned(),
        };
    }
    a.notation()
}

// ---------------------------------------------------------------------------------------------
// Long-polling

/// The query of a polling request of `row`.
pub fn polling_url(row: &str, extra: &str) -> String {
    format!("/socket.io/?EIO=4&transport=polling&row={row}{extra}")
}

/// A polling session.
pub struct Polling {
    port: u16,
    /// Its Engine.IO session id.
    pub sid: String,
    /// Its request target (with the sid).
    pub url: String,
    /// The id of its socket in `/`.
    pub socket: String,
}

/// The `sid` of an open packet (`0{…}`) or of a CONNECT reply (`40{…}`).
fn sid_of(packet: &str, prefix: usize) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(packet.get(prefix..)?).ok()?;
    Some(v["sid"].as_str()?.to_owned())
}

fn sid_of_open(open: &str) -> Option<String> {
    sid_of(open, 1)
}

impl Polling {
    /// A session of `row` that has joined `/` (the CONNECT reply read).
    pub fn joined(port: u16, row: &str) -> Polling {
        let open = request(port, "GET", &polling_url(row, ""), &[], b"");
        let body = String::from_utf8_lossy(&open.body).into_owned();
        let sid = sid_of_open(&body).unwrap_or_else(|| panic!("{row}: handshake {body:?}"));
        let url = polling_url(row, &format!("&sid={sid}"));
        let mut p = Polling {
            port,
            sid,
            url,
            socket: String::new(),
        };
        let join = p.post(b"40", &[]);
        assert_eq!(
            (join.status, &join.body[..]),
            (200, &b"ok"[..]),
            "{row}: join"
        );
        let c = p.get();
        let body = String::from_utf8_lossy(&c.body).into_owned();
        let reply = body.split('\u{1e}').next().unwrap_or_default();
        p.socket = sid_of(reply, 2).unwrap_or_else(|| panic!("{row}: {}", c.notation()));
        p
    }

    /// POSTs `body`.
    pub fn post(&self, body: &[u8], headers: &[(&str, &str)]) -> HttpAnswer {
        request(self.port, "POST", &self.url, headers, body)
    }

    /// GETs (a long-poll).
    pub fn get(&self) -> HttpAnswer {
        request(self.port, "GET", &self.url, &[], b"")
    }

    /// After bad input: `open` if an echo POSTed now comes back, else how the session ended.
    pub fn state(&self) -> String {
        let post = self.post(br#"42["echo","alive"]"#, &[]);
        if post.status != 200 {
            return format!("gone {}", post.notation());
        }
        let get = self.get();
        if find(&get.body, br#"42["echo","alive"]"#).is_some() {
            "open".to_owned()
        } else {
            format!("closed {}", get.notation())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// WebSocket

/// A message a WebSocket client received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// A text frame.
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
}

impl Msg {
    fn notation(&self) -> String {
        match self {
            Msg::Text(t) => cut(t),
            Msg::Binary(b) => format!("<binary {}>", b.len()),
        }
    }
}

/// How a WebSocket ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// With a close frame (1005: without a code).
    Code(u16),
    /// The TCP connection ended without a close frame.
    Tcp,
}

/// A raw Engine.IO WebSocket client (blocking, polled with a short read timeout).
pub struct Ws {
    ws: WebSocket<TcpStream>,
    /// Received and not yet taken.
    pub msgs: VecDeque<Msg>,
    /// How it ended, once it did.
    pub closed: Option<Closed>,
    /// The Engine.IO session id of the open packet.
    pub sid: String,
    /// The id of its socket in `/`, once joined.
    pub socket: String,
}

/// The target of a WebSocket of `row`.
pub fn ws_url(port: u16, row: &str, extra: &str) -> String {
    format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket&row={row}{extra}")
}

impl Ws {
    /// Opens a WebSocket at `url`; with `open_packet`, reads the `0{…}` open packet first.
    pub fn connect(url: &str, open_packet: bool) -> Result<Ws, String> {
        let rest = url.strip_prefix("ws://").ok_or("not ws://")?;
        let authority = rest.split('/').next().unwrap_or_default();
        let stream = TcpStream::connect(authority).map_err(|e| e.to_string())?;
        stream.set_nodelay(true).ok();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let config = WebSocketConfig::default()
            .max_message_size(None)
            .max_frame_size(None);
        let (ws, _) = tungstenite::client::client_with_config(url, stream, Some(config))
            .map_err(|e| format!("handshake: {e}"))?;
        ws.get_ref()
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let mut c = Ws {
            ws,
            msgs: VecDeque::new(),
            closed: None,
            sid: String::new(),
            socket: String::new(),
        };
        if open_packet {
            match c.next(|_| true, Duration::from_secs(5)) {
                Some(Msg::Text(open)) if open.starts_with('0') => {
                    c.sid = sid_of_open(&open).unwrap_or_default();
                }
                other => return Err(format!("no open packet: {other:?}")),
            }
        }
        Ok(c)
    }

    /// A WebSocket-only session of `row` that has joined `/`.
    pub fn joined(port: u16, row: &str) -> Ws {
        let mut c = Ws::connect(&ws_url(port, row, ""), true).unwrap_or_else(|e| panic!("{e}"));
        c.send_text("40");
        let ok = c.next(
            |m| matches!(m, Msg::Text(t) if t.starts_with("40")),
            Duration::from_secs(5),
        );
        match ok {
            Some(Msg::Text(reply)) => c.socket = sid_of(&reply, 2).unwrap_or_default(),
            other => panic!("{row}: no CONNECT reply ({other:?})"),
        }
        c
    }

    fn send(&mut self, m: Message) {
        // A server that closed already makes the write fail: the answer tells.
        if self.ws.send(m).is_err() {
            self.pump(Duration::ZERO);
        }
    }

    /// Sends a text frame.
    pub fn send_text(&mut self, text: &str) {
        self.send(Message::text(text));
    }

    /// Sends a text frame of arbitrary bytes (not checked to be UTF-8).
    pub fn send_raw_text(&mut self, bytes: &[u8]) {
        let frame = Frame::message(bytes.to_vec(), OpCode::Data(Data::Text), true);
        self.send(Message::Frame(frame));
    }

    /// Sends a binary frame.
    pub fn send_binary(&mut self, bytes: &[u8]) {
        self.send(Message::binary(bytes.to_vec()));
    }

    /// Reads until a message arrives or the connection ends, for up to `wait` (at least one
    /// read).
    fn pump(&mut self, wait: Duration) {
        let end = Instant::now() + wait;
        let before = self.msgs.len();
        while self.closed.is_none() && self.msgs.len() == before {
            match self.ws.read() {
                Ok(Message::Text(t)) => self.msgs.push_back(Msg::Text(t.as_str().to_owned())),
                Ok(Message::Binary(b)) => self.msgs.push_back(Msg::Binary(b.to_vec())),
                Ok(Message::Close(f)) => {
                    self.closed = Some(Closed::Code(f.map_or(1005, |f| u16::from(f.code))));
                }
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    self.closed.get_or_insert(Closed::Code(1005));
                }
                Err(_) => self.closed = Some(Closed::Tcp),
            }
            if Instant::now() >= end {
                break;
            }
        }
    }

    /// The first received message `pred` accepts (taken out), waiting up to `wait`; `None` if
    /// none came or the connection ended.
    pub fn next(&mut self, pred: impl Fn(&Msg) -> bool, wait: Duration) -> Option<Msg> {
        let end = Instant::now() + wait;
        loop {
            if let Some(i) = self.msgs.iter().position(&pred) {
                return self.msgs.remove(i);
            }
            if self.closed.is_some() || Instant::now() >= end {
                return None;
            }
            self.pump(Duration::from_millis(20));
        }
    }

    /// Waits up to `wait` for a message `pred` accepts (left in [`msgs`](Self::msgs)), or the
    /// end of the connection.
    pub fn wait_for(&mut self, pred: impl Fn(&Msg) -> bool, wait: Duration) {
        let end = Instant::now() + wait;
        while !self.msgs.iter().any(&pred) && self.closed.is_none() && Instant::now() < end {
            self.pump(Duration::from_millis(20));
        }
    }

    /// Waits up to `wait` for the connection to end.
    pub fn wait_closed(&mut self, wait: Duration) -> Option<Closed> {
        let end = Instant::now() + wait;
        while self.closed.is_none() && Instant::now() < end {
            self.pump(Duration::from_millis(20));
        }
        self.closed
    }

    /// Closes the connection (close frame, then the socket).
    pub fn close(mut self) {
        let _ = self.ws.close(None);
        let _ = self.ws.flush();
        self.pump(Duration::from_millis(200));
    }

    fn closed_notation(&self) -> String {
        match self.closed {
            Some(Closed::Code(c)) => format!("close {c}"),
            Some(Closed::Tcp) => "tcp close".to_owned(),
            None => "no answer".to_owned(),
        }
    }

    /// After bad input: sends an echo; `open` if it comes back, else how the connection
    /// ended, with what arrived before and the server's reason for its `socket`.
    pub fn state(mut self, reasons: &Reasons, socket: &str) -> String {
        self.send_text(r#"42["echo","alive"]"#);
        let alive = self.next(
            |m| *m == Msg::Text(r#"42["echo","alive"]"#.into()),
            Duration::from_secs(5),
        );
        if alive.is_none() {
            self.wait_closed(Duration::from_secs(3));
        }
        let mut out = Vec::new();
        let recv: Vec<String> = self
            .msgs
            .iter()
            .filter(|m| **m != Msg::Text("2".into()))
            .map(Msg::notation)
            .collect();
        if !recv.is_empty() {
            out.push(format!("recv {}", recv.join(" ")));
        }
        if alive.is_some() {
            out.push("open".to_owned());
            self.close();
            out.push("reason -".to_owned());
        } else {
            out.push(self.closed_notation());
            out.push(format!(
                "reason {}",
                reason_of(reasons, socket, REASON_WAIT)
            ));
        }
        out.join("; ")
    }

    /// The notation of how it ended (or `ws open`), with what arrived, for the upgrade rows.
    pub fn summary(&self) -> String {
        let recv: Vec<String> = self.msgs.iter().map(Msg::notation).collect();
        let end = match self.closed {
            None => "ws open".to_owned(),
            Some(_) => self.closed_notation(),
        };
        if recv.is_empty() {
            end
        } else {
            format!("recv {}; {end}", recv.join(" "))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The healthy client

/// Longest time allowed between two echoes of the healthy client (it sends one every 10 ms).
pub const MAX_GAP: Duration = Duration::from_secs(1);

/// A WebSocket client joined to `/` that emits `echo` with 0, 1, 2, … and checks each comes
/// back, in order, before sending the next (10 ms later); it answers the server's pings.
pub struct Healthy {
    inner: Arc<HealthyInner>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct HealthyInner {
    socket: Mutex<String>,
    arrivals: Mutex<Vec<Instant>>,
    error: Mutex<Option<String>>,
    stop: AtomicBool,
    echoes: AtomicU64,
}

impl Healthy {
    /// Starts it against the server on `port`.
    pub fn start(port: u16) -> Healthy {
        let inner = Arc::new(HealthyInner::default());
        let mut ws = Ws::joined(port, "healthy");
        *inner.socket.lock().unwrap() = ws.socket.clone();
        let shared = inner.clone();
        let thread = std::thread::spawn(move || {
            let mut n: u64 = 0;
            while !shared.stop.load(Ordering::Relaxed) {
                let expect = format!(r#"42["echo",{n}]"#);
                ws.send_text(&expect);
                let deadline = Instant::now() + Duration::from_secs(10);
                let got = loop {
                    match ws.next(|_| true, Duration::from_millis(50)) {
                        Some(Msg::Text(t)) if t == "2" => ws.send_text("3"),
                        Some(m) => break Some(m),
                        None if ws.closed.is_some() || Instant::now() > deadline => break None,
                        None => {}
                    }
                };
                match got {
                    Some(Msg::Text(t)) if t == expect => {
                        shared.arrivals.lock().unwrap().push(Instant::now());
                        shared.echoes.fetch_add(1, Ordering::Relaxed);
                    }
                    other => {
                        let why = match other {
                            Some(m) => format!("expected {expect}, got {m:?}"),
                            None => format!("no echo {n} ({:?})", ws.closed),
                        };
                        *shared.error.lock().unwrap() = Some(why);
                        return;
                    }
                }
                n += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            ws.close();
        });
        Healthy {
            inner,
            thread: Some(thread),
        }
    }

    /// The id of its socket.
    pub fn socket(&self) -> String {
        self.inner.socket.lock().unwrap().clone()
    }

    /// Echoes received so far.
    pub fn echoes(&self) -> u64 {
        self.inner.echoes.load(Ordering::Relaxed)
    }

    /// The longest gap between echoes from `from` until an echo that arrived after now (waited
    /// for); an error if the client failed.
    pub fn gap_since(&self, from: Instant) -> Result<Duration, String> {
        let now = Instant::now();
        let end = now + Duration::from_secs(10);
        loop {
            if let Some(e) = self.inner.error.lock().unwrap().clone() {
                return Err(format!("healthy client failed: {e}"));
            }
            {
                let a = self.inner.arrivals.lock().unwrap();
                if a.last().is_some_and(|&t| t > now) {
                    let first = a.iter().rposition(|&t| t <= from).unwrap_or(0);
                    let mut gap = a[first].saturating_duration_since(from);
                    for w in a[first..].windows(2) {
                        gap = gap.max(w[1] - w[0]);
                    }
                    return Ok(gap);
                }
            }
            if Instant::now() > end {
                return Err("healthy client: no echo for 10 s".into());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Stops it; an error if it failed on the way.
    pub fn stop(mut self) -> Result<u64, String> {
        self.inner.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        match self.inner.error.lock().unwrap().clone() {
            Some(e) => Err(e),
            None => Ok(self.echoes()),
        }
    }
}

/// The process's resident memory (`VmRSS` of `/proc/self/status`), in bytes.
pub fn rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
