//! The clients of the soak run (`tests/soak/run.sh`, conducted by the `soak` binary). One
//! process plays one role; every role prints report lines (`WORD key=value …`) on stdout.
//!
//! ```text
//! soak-load --role steady  --addr A --conns N [--ws-share 0.8] [--src 127.0.0.2,127.0.0.3]
//! soak-load --role churn   --addr A --rate R [--src …]
//! soak-load --role stalled --addr A --conns N --mode silent|pong [--hold SECS] [--want-bulk N]
//! soak-load --role acked   --addr A --ctl C --clients N [--rate R]     (commands on stdin)
//! soak-load --role cluster --server-bin PATH --secs S --restart-at S [--down-ms 2000]
//! ```
//!
//! The steady, churn and stalled roles speak Engine.IO v4 / Socket.IO v5 themselves over raw
//! sockets (a WebSocket client of a few dozen lines, HTTP/1.1 long-polling with
//! `Content-Length` bodies), so a connection costs a small task and a small buffer, and so that
//! they can stop anywhere: mid-handshake, mid-upgrade, mid-stream without reading. The acked
//! and cluster roles use sio's own client (`sio_tokio::client`).

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sio_tests::soak;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

#[derive(Clone, Debug)]
struct Opts {
    role: String,
    addr: SocketAddr,
    src: Vec<Ipv4Addr>,
    conns: usize,
    ws_share: f64,
    rate: f64,
    mode: String,
    hold: f64,
    want_bulk: usize,
    ctl: String,
    clients: usize,
    server_bin: String,
    secs: f64,
    restart_at: f64,
    down_ms: u64,
    name: String,
}

fn opts() -> Opts {
    let mut o = Opts {
        role: String::new(),
        addr: "127.0.0.1:3000".parse().unwrap(),
        src: vec![Ipv4Addr::LOCALHOST],
        conns: 100,
        ws_share: 0.8,
        rate: 150.0,
        mode: "silent".into(),
        hold: 0.0,
        want_bulk: 0,
        ctl: String::new(),
        clients: 4,
        server_bin: String::new(),
        secs: 20.0,
        restart_at: 8.0,
        down_ms: 2000,
        name: "load".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().unwrap_or_default();
        let f = || {
            v.parse::<f64>()
                .unwrap_or_else(|_| panic!("{flag}: a number"))
        };
        match flag.as_str() {
            "--role" => o.role = v,
            "--addr" => o.addr = v.parse().expect("--addr host:port"),
            "--src" => {
                o.src = v
                    .split(',')
                    .map(|a| a.parse().expect("--src: IPv4 addresses"))
                    .collect()
            }
            "--conns" => o.conns = f() as usize,
            "--ws-share" => o.ws_share = f(),
            "--rate" => o.rate = f(),
            "--mode" => o.mode = v,
            "--hold" => o.hold = f(),
            "--want-bulk" => o.want_bulk = f() as usize,
            "--ctl" => o.ctl = v,
            "--clients" => o.clients = f() as usize,
            "--server-bin" => o.server_bin = v,
            "--secs" => o.secs = f(),
            "--restart-at" => o.restart_at = f(),
            "--down-ms" => o.down_ms = f() as u64,
            "--name" => o.name = v,
            other => panic!("unknown flag {other}"),
        }
    }
    o
}

fn main() {
    let o = opts();
    // One thread: the soak machine has two cores, shared with the server under test.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    match o.role.as_str() {
        "steady" => rt.block_on(steady(o)),
        "churn" => rt.block_on(churn(o)),
        "stalled" => rt.block_on(stalled(o)),
        "acked" => rt.block_on(acked(o)),
        "cluster" => rt.block_on(cluster(o)),
        other => panic!("unknown role {other:?}"),
    }
}

// ---- small things ---------------------------------------------------------------------------

/// A xorshift generator: the soak's choices need no quality, only no shared state.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn millis(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(lo + self.below(hi - lo + 1))
    }
}

fn err(msg: impl Into<String>) -> io::Error {
    io::Error::other(msg.into())
}

async fn sleep(d: Duration) {
    tokio::time::sleep(d).await
}

/// A TCP connection to `dst` from `src` (any port); `rcvbuf` shrinks the receive buffer
/// (set before connecting, so the advertised window stays small).
async fn tcp(src: Ipv4Addr, dst: SocketAddr, rcvbuf: Option<u32>) -> io::Result<TcpStream> {
    let s = TcpSocket::new_v4()?;
    if let Some(b) = rcvbuf {
        s.set_recv_buffer_size(b)?;
    }
    s.bind(SocketAddr::new(src.into(), 0))?;
    let stream = tokio::time::timeout(Duration::from_secs(10), s.connect(dst))
        .await
        .map_err(|_| err("connect timed out"))??;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Closes with a reset instead of a FIN (`SO_LINGER` 0, then drop).
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The `sid` of an Engine.IO open packet.
fn sid_of(open: &str) -> io::Result<String> {
    open.split("\"sid\":\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(str::to_owned)
        .ok_or_else(|| err(format!("no sid in {open:?}")))
}

// ---- a minimal WebSocket client ---------------------------------------------------------------

/// One WebSocket connection (client side: frames written masked; the server's read unmasked).
struct Ws {
    stream: TcpStream,
    buf: Vec<u8>,
    mask: u32,
}

/// What a text frame from the server is.
enum Frame {
    Text(String),
    Binary,
    Close,
}

impl Ws {
    /// Sends the upgrade request for `path` on `stream` and reads the `101`.
    async fn open(mut stream: TcpStream, path: &str) -> io::Result<Ws> {
        stream.write_all(upgrade_request(path).as_bytes()).await?;
        let mut buf = Vec::with_capacity(512);
        let end = loop {
            if let Some(end) = find(&buf, b"\r\n\r\n") {
                break end;
            }
            if stream.read_buf(&mut buf).await? == 0 {
                return Err(err("closed during the WebSocket handshake"));
            }
        };
        if !buf.starts_with(b"HTTP/1.1 101") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            return Err(err(format!("upgrade refused: {head}")));
        }
        buf.drain(..end + 4);
        Ok(Ws {
            stream,
            buf,
            mask: 0x1234_5678,
        })
    }

    /// Reads the next whole message (cancel-safe: bytes read stay in the buffer).
    async fn read(&mut self) -> io::Result<Frame> {
        loop {
            if let Some(f) = self.parse()? {
                return Ok(f);
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(err("closed"));
            }
        }
    }

    /// One frame out of the buffer, if it holds a whole one. Control frames are answered
    /// (`ping`) or reported (`close`); the server does not fragment its messages.
    fn parse(&mut self) -> io::Result<Option<Frame>> {
        loop {
            let b = &self.buf;
            if b.len() < 2 {
                return Ok(None);
            }
            let opcode = b[0] & 0x0f;
            let (len, head) = match b[1] & 0x7f {
                126 if b.len() >= 4 => (u16::from_be_bytes([b[2], b[3]]) as usize, 4),
                127 if b.len() >= 10 => {
                    let mut n = [0u8; 8];
                    n.copy_from_slice(&b[2..10]);
                    (u64::from_be_bytes(n) as usize, 10)
                }
                126 | 127 => return Ok(None),
                n => (n as usize, 2),
            };
            if b.len() < head + len {
                return Ok(None);
            }
            let payload: Vec<u8> = self.buf[head..head + len].to_vec();
            self.buf.drain(..head + len);
            match opcode {
                0x1 => {
                    return Ok(Some(Frame::Text(
                        String::from_utf8(payload).map_err(|_| err("text frame not UTF-8"))?,
                    )))
                }
                0x2 => return Ok(Some(Frame::Binary)),
                0x8 => return Ok(Some(Frame::Close)),
                // A ping is answered at the next write; nothing the soak needs.
                _ => continue,
            }
        }
    }

    fn frame(&mut self, opcode: u8, payload: &[u8]) -> Vec<u8> {
        self.mask = self
            .mask
            .wrapping_mul(1_664_525)
            .wrapping_add(1_013_904_223);
        let key = self.mask.to_be_bytes();
        let mut out = Vec::with_capacity(payload.len() + 14);
        out.push(0x80 | opcode);
        match payload.len() {
            n if n < 126 => out.push(0x80 | n as u8),
            n if n < 65536 => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(&key);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        out
    }

    async fn send(&mut self, text: &str) -> io::Result<()> {
        let f = self.frame(0x1, text.as_bytes());
        self.stream.write_all(&f).await
    }

    /// A close frame (code 1000), then waits up to a second for the server's close.
    async fn close(mut self) {
        let f = self.frame(0x8, &1000u16.to_be_bytes());
        if self.stream.write_all(&f).await.is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(1), async {
                while !matches!(self.read().await, Ok(Frame::Close) | Err(_)) {}
            })
            .await;
        }
    }

    /// Reads up to the Engine.IO open packet, sends the Socket.IO CONNECT for `/`, and reads
    /// up to its answer (`40{"sid":…}`).
    async fn join(&mut self) -> io::Result<()> {
        self.expect(|t| t.starts_with('0')).await?;
        self.send("40").await?;
        self.expect(|t| t.starts_with("40")).await?;
        Ok(())
    }

    /// Reads until a text message `ok` accepts (pings answered on the way).
    async fn expect(&mut self, ok: impl Fn(&str) -> bool) -> io::Result<String> {
        loop {
            match self.read().await? {
                Frame::Text(t) if ok(&t) => return Ok(t),
                Frame::Text(t) if t == "2" => self.send("3").await?,
                Frame::Text(t) if t.starts_with("44") => {
                    return Err(err(format!("connect refused: {t}")))
                }
                Frame::Close => return Err(err("closed by the server")),
                _ => {}
            }
        }
    }
}

fn upgrade_request(path: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
}

fn ws_path(rooms: &str, sid: Option<&str>) -> String {
    match sid {
        Some(sid) => format!("/socket.io/?EIO=4&transport=websocket&sid={sid}&rooms={rooms}"),
        None => format!("/socket.io/?EIO=4&transport=websocket&rooms={rooms}"),
    }
}

// ---- a minimal long-polling client ------------------------------------------------------------

/// One HTTP/1.1 keep-alive connection.
struct Http {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Http {
    async fn connect(src: Ipv4Addr, dst: SocketAddr) -> io::Result<Http> {
        Ok(Http {
            stream: tcp(src, dst, None).await?,
            buf: Vec::with_capacity(512),
        })
    }

    async fn send(&mut self, method: &str, path: &str, body: &str) -> io::Result<()> {
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain;charset=UTF-8\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.write_all(req.as_bytes()).await
    }

    /// Reads one response; its body, or an error for a status other than 200.
    async fn response(&mut self) -> io::Result<String> {
        let (status, len, head_len) = loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                let status: u16 = head
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                let len = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                break (status, len, end + 4);
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(err("closed"));
            }
        };
        while self.buf.len() < head_len + len {
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(err("closed"));
            }
        }
        let body = String::from_utf8_lossy(&self.buf[head_len..head_len + len]).into_owned();
        self.buf.drain(..head_len + len);
        if status != 200 {
            return Err(err(format!("HTTP {status}: {body}")));
        }
        Ok(body)
    }

    async fn request(&mut self, method: &str, path: &str, body: &str) -> io::Result<String> {
        self.send(method, path, body).await?;
        self.response().await
    }
}

/// A polling session: the connection that carries the GETs, the one that carries the POSTs,
/// and the path with the session id.
struct Polling {
    get: Http,
    post: Http,
    path: String,
}

impl Polling {
    /// The Engine.IO handshake (one GET); no namespace joined yet.
    async fn handshake(src: Ipv4Addr, dst: SocketAddr, rooms: &str) -> io::Result<Polling> {
        let mut get = Http::connect(src, dst).await?;
        let open = get
            .request(
                "GET",
                &format!("/socket.io/?EIO=4&transport=polling&rooms={rooms}"),
                "",
            )
            .await?;
        let sid = sid_of(&open)?;
        let path = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
        let post = Http::connect(src, dst).await?;
        Ok(Polling { get, post, path })
    }

    fn sid(&self) -> &str {
        self.path.rsplit('=').next().unwrap_or_default()
    }

    /// Joins `/`: POSTs the CONNECT and polls until its answer.
    async fn join(&mut self) -> io::Result<()> {
        self.post.request("POST", &self.path, "40").await?;
        loop {
            let body = self.get.request("GET", &self.path, "").await?;
            for p in body.split('\u{1e}') {
                if p.starts_with("40") {
                    return Ok(());
                }
                if p == "2" {
                    self.post.request("POST", &self.path, "3").await?;
                }
            }
        }
    }

    async fn open(src: Ipv4Addr, dst: SocketAddr, rooms: &str) -> io::Result<Polling> {
        let mut p = Polling::handshake(src, dst, rooms).await?;
        p.join().await?;
        Ok(p)
    }
}

// ---- steady: a population that stays -----------------------------------------------------------

#[derive(Default)]
struct SteadyCounts {
    connected: AtomicU64,
    connects: AtomicU64,
    failures: AtomicU64,
    events: AtomicU64,
    light_sent: AtomicU64,
    light_acked: AtomicU64,
}

/// `conns` connections (a `ws_share` of them WebSocket, the rest long-polling), each joined to
/// `/` and rooms `all` and `g<k>`; each answers pings, one in ten sends a `light` event with
/// ack every 5 s; a connection that ends is opened again after about a second. Prints
/// `STEADY connected=N target=N …` every second.
async fn steady(o: Opts) {
    let c = Arc::new(SteadyCounts::default());
    // At most this many handshakes at once: the server's accept queue and the machine's two
    // cores, not the soak, should set the pace.
    let gate = Arc::new(tokio::sync::Semaphore::new(64));
    let ws_conns = (o.conns as f64 * o.ws_share).round() as usize;
    for id in 0..o.conns {
        let (o, c, gate) = (o.clone(), c.clone(), gate.clone());
        tokio::spawn(async move {
            let src = o.src[id % o.src.len()];
            let rooms = format!("all,g{}", id % 16);
            let mut rng = Rng::new(id as u64 + 1);
            loop {
                let permit = gate.acquire().await.expect("gate");
                let r = if id < ws_conns {
                    steady_ws(&o, src, &rooms, id, &c, permit).await
                } else {
                    steady_polling(&o, src, &rooms, &c, permit).await
                };
                if r.is_err() {
                    c.failures.fetch_add(1, Ordering::Relaxed);
                }
                sleep(rng.millis(800, 1500)).await;
            }
        });
    }
    loop {
        sleep(Duration::from_secs(1)).await;
        println!(
            "STEADY connected={} target={} connects={} failures={} events={} light_sent={} \
             light_acked={}",
            c.connected.load(Ordering::Relaxed),
            o.conns,
            c.connects.load(Ordering::Relaxed),
            c.failures.load(Ordering::Relaxed),
            c.events.load(Ordering::Relaxed),
            c.light_sent.load(Ordering::Relaxed),
            c.light_acked.load(Ordering::Relaxed),
        );
    }
}

/// Counts a connection as connected while alive.
struct Connected<'a>(&'a AtomicU64);

impl Drop for Connected<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

fn connected(c: &SteadyCounts) -> Connected<'_> {
    c.connected.fetch_add(1, Ordering::Relaxed);
    c.connects.fetch_add(1, Ordering::Relaxed);
    Connected(&c.connected)
}

async fn steady_ws(
    o: &Opts,
    src: Ipv4Addr,
    rooms: &str,
    id: usize,
    c: &SteadyCounts,
    permit: tokio::sync::SemaphorePermit<'_>,
) -> io::Result<()> {
    let stream = tcp(src, o.addr, None).await?;
    let mut ws = Ws::open(stream, &ws_path(rooms, None)).await?;
    ws.join().await?;
    drop(permit);
    let _alive = connected(c);
    let light = id % 10 == 0;
    let mut n = 0u64;
    let mut next_light =
        tokio::time::Instant::now() + Duration::from_millis(5000 + id as u64 % 5000);
    loop {
        tokio::select! {
            f = ws.read() => match f? {
                Frame::Text(t) if t == "2" => ws.send("3").await?,
                Frame::Text(t) if t.starts_with("42") => {
                    c.events.fetch_add(1, Ordering::Relaxed);
                }
                Frame::Text(t) if t.starts_with("43") => {
                    c.light_acked.fetch_add(1, Ordering::Relaxed);
                }
                Frame::Text(t) if t.starts_with("41") || t == "1" => return Ok(()),
                Frame::Close => return Ok(()),
                _ => {}
            },
            () = tokio::time::sleep_until(next_light), if light => {
                n += 1;
                ws.send(&format!("42{n}[\"light\",{n}]")).await?;
                c.light_sent.fetch_add(1, Ordering::Relaxed);
                next_light += Duration::from_secs(5);
            }
        }
    }
}

async fn steady_polling(
    o: &Opts,
    src: Ipv4Addr,
    rooms: &str,
    c: &SteadyCounts,
    permit: tokio::sync::SemaphorePermit<'_>,
) -> io::Result<()> {
    let mut p = Polling::open(src, o.addr, rooms).await?;
    drop(permit);
    let _alive = connected(c);
    loop {
        let body = p.get.request("GET", &p.path, "").await?;
        for packet in body.split('\u{1e}') {
            if packet == "2" {
                p.post.request("POST", &p.path, "3").await?;
            } else if packet.starts_with("42") {
                c.events.fetch_add(1, Ordering::Relaxed);
            } else if packet == "1" || packet.starts_with("41") {
                return Ok(());
            }
        }
    }
}

// ---- churn: connections that come and go, many of them badly -----------------------------------

/// The ways a churned connection ends.
const KINDS: [&str; 11] = [
    "ws_clean",         // joined over WebSocket, then `41`, a close frame and FIN
    "ws_rst",           // joined over WebSocket, then a reset
    "poll_clean",       // joined over polling, then an Engine.IO close (`1`) POSTed
    "poll_rst",         // joined over polling with a GET parked, then both connections reset
    "tcp_idle",         // a TCP connection that sends nothing, then FIN
    "http_partial",     // half an HTTP request, then a reset
    "ws_no_101",        // the whole upgrade request, reset before reading the 101
    "ws_no_join",       // a WebSocket Engine.IO session that never sends CONNECT, then FIN
    "poll_no_join",     // a polling handshake, then nothing ever again (both connections FIN)
    "upgrade_abort",    // joined over polling, WebSocket probe answered, reset before `5`
    "upgrade_no_probe", // joined over polling, the WebSocket opened, closed before the probe
];

#[derive(Default)]
struct ChurnCounts {
    started: AtomicU64,
    churned: AtomicU64,
    failed: AtomicU64,
    by_kind: [AtomicU64; KINDS.len()],
    last_error: Mutex<String>,
}

/// Starts `rate` churned connections per second, each of a kind of [`KINDS`] in turn, living
/// 50–1500 ms. Prints `CHURN started=N churned=N failed=N …` every second; `churned` counts
/// those that got as far as their kind meant them to.
async fn churn(o: Opts) {
    let c = Arc::new(ChurnCounts::default());
    let period = Duration::from_secs_f64(1.0 / o.rate.max(1.0));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    {
        let c = c.clone();
        tokio::spawn(async move {
            loop {
                sleep(Duration::from_secs(1)).await;
                let kinds: Vec<String> = KINDS
                    .iter()
                    .zip(&c.by_kind)
                    .map(|(k, n)| format!("{k}:{}", n.load(Ordering::Relaxed)))
                    .collect();
                println!(
                    "CHURN started={} churned={} failed={} kinds={} last_error={:?}",
                    c.started.load(Ordering::Relaxed),
                    c.churned.load(Ordering::Relaxed),
                    c.failed.load(Ordering::Relaxed),
                    kinds.join(","),
                    c.last_error.lock().unwrap().replace(' ', "_"),
                );
            }
        });
    }
    let mut i = 0u64;
    loop {
        tick.tick().await;
        i += 1;
        let (o, c) = (o.clone(), c.clone());
        c.started.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            let kind = (i % KINDS.len() as u64) as usize;
            let src = o.src[i as usize % o.src.len()];
            let mut rng = Rng::new(i);
            let life = rng.millis(50, 1500);
            match churn_one(kind, src, o.addr, life).await {
                Ok(()) => {
                    c.churned.fetch_add(1, Ordering::Relaxed);
                    c.by_kind[kind].fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    c.failed.fetch_add(1, Ordering::Relaxed);
                    *c.last_error.lock().unwrap() = format!("{}: {e}", KINDS[kind]);
                }
            }
        });
    }
}

async fn churn_one(kind: usize, src: Ipv4Addr, dst: SocketAddr, life: Duration) -> io::Result<()> {
    let rooms = "churn";
    match KINDS[kind] {
        "ws_clean" => {
            let mut ws = Ws::open(tcp(src, dst, None).await?, &ws_path(rooms, None)).await?;
            ws.join().await?;
            sleep(life).await;
            ws.send("41").await?;
            ws.close().await;
        }
        "ws_rst" => {
            let mut ws = Ws::open(tcp(src, dst, None).await?, &ws_path(rooms, None)).await?;
            ws.join().await?;
            sleep(life).await;
            reset(ws.stream);
        }
        "poll_clean" => {
            let mut p = Polling::open(src, dst, rooms).await?;
            sleep(life.min(Duration::from_millis(1000))).await;
            p.post.request("POST", &p.path, "1").await?;
        }
        "poll_rst" => {
            let mut p = Polling::open(src, dst, rooms).await?;
            p.get.send("GET", &p.path, "").await?;
            sleep(life).await;
            reset(p.get.stream);
            reset(p.post.stream);
        }
        "tcp_idle" => {
            let s = tcp(src, dst, None).await?;
            sleep(life).await;
            drop(s);
        }
        "http_partial" => {
            let mut s = tcp(src, dst, None).await?;
            s.write_all(b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0")
                .await?;
            sleep(life).await;
            reset(s);
        }
        "ws_no_101" => {
            let mut s = tcp(src, dst, None).await?;
            s.write_all(upgrade_request(&ws_path(rooms, None)).as_bytes())
                .await?;
            reset(s);
        }
        "ws_no_join" => {
            let mut ws = Ws::open(tcp(src, dst, None).await?, &ws_path(rooms, None)).await?;
            ws.expect(|t| t.starts_with('0')).await?;
            sleep(life).await;
        }
        "poll_no_join" => {
            let p = Polling::handshake(src, dst, rooms).await?;
            drop(p);
        }
        "upgrade_abort" => {
            let p = Polling::open(src, dst, rooms).await?;
            let stream = tcp(src, dst, None).await?;
            let mut ws = Ws::open(stream, &ws_path(rooms, Some(p.sid()))).await?;
            ws.send("2probe").await?;
            ws.expect(|t| t == "3probe").await?;
            sleep(life.min(Duration::from_millis(500))).await;
            reset(ws.stream);
            reset(p.get.stream);
            reset(p.post.stream);
        }
        "upgrade_no_probe" => {
            let p = Polling::open(src, dst, rooms).await?;
            let stream = tcp(src, dst, None).await?;
            let ws = Ws::open(stream, &ws_path(rooms, Some(p.sid()))).await?;
            drop(ws);
            drop(p);
        }
        other => unreachable!("kind {other}"),
    }
    Ok(())
}

// ---- stalled: readers that stop reading -----------------------------------------------------

/// `conns` WebSocket connections with a small receive buffer, joined to `/` and rooms `bulk`
/// and `g0` (the server broadcasts 64 KiB to `bulk` every 50 ms); each asks for `want-bulk` ×
/// 64 KiB more for itself (so that its buffers are full before the heartbeat runs out), then
/// never reads again. `silent`
/// ones never write either (the server's heartbeat must drop them); `pong` ones write a pong
/// every 2 s without reading (the heartbeat keeps them alive, their backlog grows). After
/// `hold` seconds (0: never) the process exits, and the kernel resets the connections (unread
/// data). Prints `STALLED ready=N failed=N` once all are stalled.
async fn stalled(o: Opts) {
    let ready = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let pong = o.mode == "pong";
    let mut tasks = Vec::new();
    for id in 0..o.conns {
        let (o, ready, failed) = (o.clone(), ready.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            let src = o.src[id % o.src.len()];
            let r = async {
                let stream = tcp(src, o.addr, Some(4096)).await?;
                let mut ws = Ws::open(stream, &ws_path("bulk,g0", None)).await?;
                ws.join().await?;
                if o.want_bulk > 0 {
                    ws.send(&format!("42[\"want-bulk\",{},65536]", o.want_bulk))
                        .await?;
                }
                io::Result::Ok(ws)
            }
            .await;
            match r {
                Ok(ws) => {
                    ready.fetch_add(1, Ordering::SeqCst);
                    Some(ws)
                }
                Err(e) => {
                    eprintln!("soak-load stalled: {e}");
                    failed.fetch_add(1, Ordering::SeqCst);
                    None
                }
            }
        }));
    }
    let mut held = Vec::new();
    for t in tasks {
        if let Ok(Some(ws)) = t.await {
            held.push(ws);
        }
    }
    println!(
        "STALLED ready={} failed={}",
        ready.load(Ordering::SeqCst),
        failed.load(Ordering::SeqCst)
    );
    let deadline = (o.hold > 0.0).then(|| Instant::now() + Duration::from_secs_f64(o.hold));
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return;
        }
        sleep(Duration::from_secs(2)).await;
        if pong {
            for ws in &mut held {
                // Without reading: a write that cannot go out at once is skipped.
                let f = ws.frame(0x1, b"3");
                let _ = ws.stream.try_write(&f);
            }
        }
    }
}

// ---- acked: sio's client with retries through a cut proxy ----------------------------------------

#[derive(Default)]
struct AckState {
    acked: Vec<u64>,
    failed: u64,
    /// The next `n` expected from room `rec`, once one was seen.
    next_n: Option<u64>,
    /// The connection was not recovered: the next gap is the new session's start.
    excused: bool,
    s2c_events: u64,
    s2c_lost: u64,
    s2c_dup: u64,
    s2c_unrecovered_gap: u64,
    connects: u64,
    recovered: u64,
    disconnects: u64,
}

/// `clients` sio clients (`sio_tokio::client`, `retries` + `ack_timeout`, reconnection after
/// 1 s) behind one `sio_tests::proxy::Proxy`, each sending `msg` (label, seq) with ack at
/// `rate` per second, in turn over WebSocket, long-polling and polling upgraded to WebSocket;
/// they are in room `rec` and count its numbered `n` events. Commands on stdin: `cut-on
/// PERIOD_MS DOWN_MS` (cut every connection every PERIOD_MS, the network then down for
/// DOWN_MS), `cut-off`, `finish` (stop sending, wait for what is in flight, compare with what
/// the server recorded, print `ACKED …` and exit).
async fn acked(o: Opts) {
    use sio_tokio::client::SocketConfig;
    use sio_tokio::TransportKind;

    let proxy = Arc::new(sio_tests::proxy::Proxy::start(o.addr.port()));
    let stop = Arc::new(AtomicBool::new(false));
    let pid = std::process::id();
    let mut clients = Vec::new();
    for i in 0..o.clients {
        let transports: &[TransportKind] = match i % 3 {
            0 => &[TransportKind::WebSocket],
            1 => &[TransportKind::Polling],
            _ => &[TransportKind::Polling, TransportKind::WebSocket],
        };
        // The server must notice a cut (and keep the session) before the client is back, or
        // the session starts afresh: a fixed second between attempts.
        let client = sio_tokio::client::client(&format!("{}/?rooms=rec", proxy.url()))
            .transports(transports)
            .reconnection_delay(Duration::from_millis(1000))
            .reconnection_delay_max(Duration::from_millis(1000))
            .randomization_factor(0.0)
            .build()
            .expect("client");
        let socket = client.socket_with_config(
            "/",
            SocketConfig {
                retries: 1_000_000,
                ack_timeout: Some(Duration::from_millis(1500)),
                ..SocketConfig::default()
            },
        );
        let st = Arc::new(Mutex::new(AckState::default()));
        let s = st.clone();
        socket.on("n", move |_, msg: sio_tokio::client::Message| {
            if let Ok(n) = msg.arg::<u64>(0) {
                let mut st = s.lock().unwrap();
                st.s2c_events += 1;
                match st.next_n {
                    Some(next) if n < next => st.s2c_dup += 1,
                    Some(next) if n > next => {
                        if st.excused {
                            st.s2c_unrecovered_gap += n - next;
                        } else {
                            st.s2c_lost += n - next;
                            eprintln!("soak-load acked: missed n {next}..{} (recovered)", n - 1);
                        }
                    }
                    _ => {}
                }
                st.excused = false;
                st.next_n = Some(st.next_n.map_or(n + 1, |x| x.max(n + 1)));
            }
            async {}
        });
        let s = st.clone();
        socket.on_connect(move |sock| {
            let mut st = s.lock().unwrap();
            st.connects += 1;
            if sock.recovered() {
                st.recovered += 1;
            } else {
                st.excused = true;
            }
            async {}
        });
        let s = st.clone();
        socket.on_disconnect(move |_, _| {
            s.lock().unwrap().disconnects += 1;
            async {}
        });
        socket.connect();
        let label = format!("a{i}-{pid}");
        let (s, stop) = (st.clone(), stop.clone());
        let period = Duration::from_secs_f64(1.0 / o.rate.max(0.1));
        let sock = socket.clone();
        let lbl = label.clone();
        let sender = tokio::spawn(async move {
            let mut seq = 0u64;
            while !stop.load(Ordering::SeqCst) {
                seq += 1;
                let r = sock.emit_with_ack("msg", &(&lbl, seq)).await;
                {
                    let mut st = s.lock().unwrap();
                    match r {
                        Ok(_) => st.acked.push(seq),
                        Err(_) => st.failed += 1,
                    }
                }
                sleep(period).await;
            }
        });
        clients.push((client, label, st, sender));
    }

    // Commands from the conductor, one a line.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut cutter: Option<tokio::task::JoinHandle<()>> = None;
    let cuts = Arc::new(AtomicU64::new(0));
    println!("ACKED_READY clients={}", o.clients);
    while let Some(cmd) = rx.recv().await {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        match words.as_slice() {
            ["cut-on", period, down] => {
                let period = Duration::from_millis(period.parse().unwrap_or(3000));
                let down: u64 = down.parse().unwrap_or(500);
                let (p, n) = (proxy.clone(), cuts.clone());
                cutter = Some(tokio::spawn(async move {
                    let mut rng = Rng::new(7);
                    loop {
                        sleep(period).await;
                        p.cut_for(Duration::from_millis(down / 2 + rng.below(down)));
                        n.fetch_add(1, Ordering::SeqCst);
                    }
                }));
            }
            ["cut-off"] => {
                if let Some(c) = cutter.take() {
                    c.abort();
                }
            }
            ["finish"] => break,
            _ => eprintln!("soak-load acked: unknown command {cmd:?}"),
        }
    }
    if let Some(c) = cutter.take() {
        c.abort();
    }
    stop.store(true, Ordering::SeqCst);
    // What is in flight gets its ack (or exhausts its retries) once the network is back.
    for (_, _, _, sender) in &mut clients {
        let _ = tokio::time::timeout(Duration::from_secs(30), sender).await;
    }
    // Events emitted up to now must all arrive: the tail is checked against the server's
    // count, after a moment for the last ones to travel.
    let stats = soak::kv(&soak::ctl(&o.ctl, "stats").unwrap_or_default());
    let last_n = soak::num(&stats, "rec_seq");
    sleep(Duration::from_secs(2)).await;
    let (mut acked_total, mut lost, mut dup, mut failed) = (0u64, 0u64, 0u64, 0u64);
    let mut totals = AckState::default();
    for (client, label, st, _) in &clients {
        let answer = soak::ctl(&o.ctl, &format!("received {label}")).unwrap_or_default();
        let got = soak::kv(&answer);
        let ranges = soak::parse_ranges(got.get("ranges").map_or("", String::as_str));
        let st = st.lock().unwrap();
        let missing: Vec<u64> = st
            .acked
            .iter()
            .copied()
            .filter(|&s| !soak::in_ranges(&ranges, s))
            .collect();
        if !missing.is_empty() {
            eprintln!(
                "soak-load acked: {label}: acked but never received by the server: {missing:?}"
            );
        }
        acked_total += st.acked.len() as u64;
        lost += missing.len() as u64;
        dup += soak::num(&got, "dups");
        failed += st.failed;
        let tail = st
            .next_n
            .map_or(0, |next| (last_n + 1).saturating_sub(next));
        if tail > 0 {
            eprintln!("soak-load acked: {label}: the last {tail} n events never arrived");
        }
        let transport = ["websocket", "polling", "polling+upgrade"][clients_kind(label)];
        println!(
            "ACKED_CLIENT label={label} transport={transport} acked={} connects={} recovered={} \
             s2c_unrecovered_gap={} s2c_lost={}",
            st.acked.len(),
            st.connects,
            st.recovered,
            st.s2c_unrecovered_gap,
            st.s2c_lost + tail
        );
        totals.s2c_events += st.s2c_events;
        totals.s2c_lost += st.s2c_lost + tail;
        totals.s2c_dup += st.s2c_dup;
        totals.s2c_unrecovered_gap += st.s2c_unrecovered_gap;
        totals.connects += st.connects;
        totals.recovered += st.recovered;
        totals.disconnects += st.disconnects;
        client.close();
    }
    println!(
        "ACKED acked={acked_total} lost={lost} dup={dup} failed={failed} cuts={} \
         proxy_conns={} s2c_events={} s2c_lost={} s2c_dup={} s2c_unrecovered_gap={} connects={} \
         recovered={} disconnects={}",
        cuts.load(Ordering::SeqCst),
        proxy.accepted(),
        totals.s2c_events,
        totals.s2c_lost,
        totals.s2c_dup,
        totals.s2c_unrecovered_gap,
        totals.connects,
        totals.recovered,
        totals.disconnects,
    );
}

/// The transport kind of acked client `a<i>-<pid>` (`i % 3`, as they were built).
fn clients_kind(label: &str) -> usize {
    label[1..]
        .split('-')
        .next()
        .and_then(|i| i.parse::<usize>().ok())
        .map_or(0, |i| i % 3)
}

// ---- cluster: two servers, Redis restarted under them -------------------------------------------

/// What one cluster client saw of one origin server's `c` events.
#[derive(Default, Clone)]
struct Origin {
    last: Option<(u64, u64)>,
    events: u64,
    /// Gaps as (last seq before, its time, next seq after, its time).
    gaps: Vec<(u64, u64, u64, u64)>,
    dup: u64,
    /// Time of the first event received after Redis came back.
    first_after_back: Option<u64>,
}

/// Two soak servers (`--server-bin`) with the Redis adapter on one `redis-server`
/// (`sio_tests::redis`), each emitting numbered `c` events to room `cl` of the cluster every
/// 100 ms; two clients on each count them per origin. At `restart-at` seconds Redis is killed
/// and started again `down-ms` later; meanwhile a fresh client on each server must get an
/// ack. A gap in the events of the other server that spans the outage (from the last event
/// before the kill to the first after it) is `redis_gap`; any other gap, and any event of
/// either server not received by the end, is `lost`. Prints `CLUSTER …`.
async fn cluster(o: Opts) {
    use std::io::BufRead;
    let mut redis = sio_tests::redis::RedisServer::start();
    let url = redis.url();
    let mut servers = Vec::new();
    for name in ["A", "B"] {
        let mut child = std::process::Command::new(&o.server_bin)
            .args(["--name", name, "--redis", &url])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("soak-server");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("listening line");
        let w: Vec<&str> = line.split_whitespace().collect();
        let (port, ctl) = match w.as_slice() {
            ["listening", p, "control", c] => (p.to_string(), format!("127.0.0.1:{c}")),
            _ => panic!("soak-server said {line:?}"),
        };
        servers.push((name, child, port, ctl));
    }
    sleep(Duration::from_millis(500)).await;
    let baseline: Vec<u64> = servers
        .iter()
        .map(|s| {
            soak::num(
                &soak::kv(&soak::ctl(&s.3, "stats").unwrap_or_default()),
                "fds",
            )
        })
        .collect();
    for (name, child, port, _) in &servers {
        let fds = soak::fd_summary(&child.id().to_string(), port.parse().unwrap_or(0));
        eprintln!("soak-load cluster: server {name} at the start: {fds}");
    }
    let t_kill = Arc::new(AtomicU64::new(u64::MAX));
    let t_back = Arc::new(AtomicU64::new(u64::MAX));
    let mut clients = Vec::new();
    for (si, (name, _, port, _)) in servers.iter().enumerate() {
        for k in 0..2 {
            let client = sio_tokio::client::client(&format!("http://127.0.0.1:{port}/?rooms=cl"))
                .build()
                .expect("client");
            let socket = client.socket("/");
            let seen: Arc<Mutex<[Origin; 2]>> = Arc::default();
            let (s, tb) = (seen.clone(), t_back.clone());
            socket.on("c", move |_, msg: sio_tokio::client::Message| {
                if let Ok((from, n, at)) = msg.args::<(String, u64, u64)>() {
                    let i = usize::from(from == "B");
                    let mut seen = s.lock().unwrap();
                    let og = &mut seen[i];
                    og.events += 1;
                    match og.last {
                        Some((last, _)) if n <= last => og.dup += 1,
                        Some((last, lt)) if n > last + 1 => og.gaps.push((last, lt, n, at)),
                        _ => {}
                    }
                    if og.last.is_none_or(|(last, _)| n > last) {
                        og.last = Some((n, at));
                    }
                    if at > tb.load(Ordering::SeqCst) && og.first_after_back.is_none() {
                        og.first_after_back = Some(at);
                    }
                }
                async {}
            });
            socket.connect();
            clients.push((*name, si, k, client, socket, seen));
        }
    }
    sleep(Duration::from_secs_f64(o.restart_at)).await;
    t_kill.store(soak::unix_ms(), Ordering::SeqCst);
    let down = Duration::from_millis(o.down_ms);
    let restart = tokio::task::spawn_blocking(move || {
        redis.restart(down);
        redis
    });
    // Both servers keep serving while Redis is away: a new client gets its ack.
    sleep(down / 2).await;
    let mut served = 0;
    for (_, _, port, _) in &servers {
        let c = sio_tokio::client::client(&format!("http://127.0.0.1:{port}/"))
            .build()
            .expect("client");
        let s = c.socket("/");
        s.connect();
        let r = tokio::time::timeout(
            Duration::from_secs(5),
            s.emit_with_ack("msg", &("cluster-outage", 1u64)),
        )
        .await;
        if matches!(r, Ok(Ok(_))) {
            served += 1;
        }
        c.close();
    }
    let redis = restart.await.expect("restart");
    t_back.store(soak::unix_ms(), Ordering::SeqCst);
    let rest = (o.secs - o.restart_at - down.as_secs_f64()).max(5.0);
    sleep(Duration::from_secs_f64(rest)).await;
    // The tail: every event a server emitted until now must have reached every client.
    let last: Vec<u64> = servers
        .iter()
        .map(|s| {
            soak::num(
                &soak::kv(&soak::ctl(&s.3, "stats").unwrap_or_default()),
                "cl_seq",
            )
        })
        .collect();
    sleep(Duration::from_secs(2)).await;
    let (tk, tb) = (t_kill.load(Ordering::SeqCst), t_back.load(Ordering::SeqCst));
    let (mut events, mut lost, mut gap, mut dup) = (0u64, 0u64, 0u64, 0u64);
    let mut resumed = true;
    for (name, si, k, client, _, seen) in &clients {
        let seen = seen.lock().unwrap().clone();
        for (oi, og) in seen.iter().enumerate() {
            let remote = oi != *si;
            events += og.events;
            dup += og.dup;
            for &(a, ta, b, tb_) in &og.gaps {
                let n = b - a - 1;
                if remote && ta < tb && tb_ > tk {
                    gap += n;
                } else {
                    lost += n;
                    eprintln!(
                        "soak-load cluster: client {name}{k} missed {n} events of {} ({}..{})",
                        ["A", "B"][oi],
                        a + 1,
                        b - 1
                    );
                }
            }
            let tail = last[oi].saturating_sub(og.last.map_or(0, |(n, _)| n));
            if tail > 0 {
                eprintln!(
                    "soak-load cluster: client {name}{k}: the last {tail} events of {} never came",
                    ["A", "B"][oi]
                );
                lost += tail;
            }
            if remote && og.first_after_back.is_none() {
                resumed = false;
            }
        }
        client.close();
    }
    // Dropped, so that nothing of the clients (their pooled HTTP connections) stays open.
    drop(clients);
    sleep(Duration::from_secs(5)).await;
    let (mut panics, mut leaked) = (0u64, 0u64);
    for (i, (name, child, port, ctl)) in servers.iter_mut().enumerate() {
        let line = soak::ctl(ctl, "stats").unwrap_or_default();
        let fds = soak::fd_summary(&child.id().to_string(), port.parse().unwrap_or(0));
        eprintln!("soak-load cluster: server {name} at the end: {line} {fds}");
        let st = soak::kv(&line);
        panics += soak::num(&st, "panics");
        leaked += soak::num(&st, "sessions")
            .max(soak::num(&st, "sockets"))
            .max(soak::num(&st, "fds").saturating_sub(baseline[i]));
        let _ = child.kill();
        let _ = child.wait();
    }
    drop(redis);
    println!(
        "CLUSTER events={events} lost={lost} redis_gap={gap} dup={dup} resumed={resumed} \
         served_during_outage={served}/2 panics={panics} leaked={leaked} outage_ms={}",
        tb.saturating_sub(tk)
    );
}
