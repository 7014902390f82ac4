//! The bad-input table: one bad input per row, sent to a sio Socket.IO server over real
//! loopback sockets, on both drivers (`sio_tokio::SocketIoServer`, `sio_smol::SocketIoServer`),
//! while a healthy WebSocket client on the same server keeps an echo loop going. Covered:
//! malformed Engine.IO packets (over polling POST bodies and WebSocket frames), malformed
//! Socket.IO packets of every type, unknown / forged / expired / other-transport session ids,
//! wrong transport and protocol version, size limits (POST 413, frame 1009), invalid UTF-8
//! (1007), attachments (none pending, too many, never sent), deep JSON, ack ids at and beyond
//! 64 bits, huge namespace names, a dynamic-namespace flood (memory), slowloris headers, bad
//! WebSocket handshakes, upgrades gone wrong and half-open connections (heartbeat).
//!
//! Each row asserts the server's answer — HTTP status and body, WebSocket close code, or the
//! disconnect reason the application saw — then that the healthy client saw no gap longer
//! than [`MAX_GAP`] and no lost, duplicated or reordered echo. Expected answers are the
//! reference's (`socket.io` 4.8.4 / `engine.io` 6.6.12 / `ws` 8), as printed by
//! `tests/js/bad-input-reference.mjs` in the same notation (see `sio_tests::bad_input`);
//! where sio deliberately answers otherwise the row says why.
//!
//! `cargo test --test bad_input -- --nocapture` prints the table as markdown (the README's
//! "Bad input" section is that output).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use sio_core::api::socketio::{Message, Socket, SocketIo, SocketIoConfig};
use sio_core::engine::server::ServerConfig;
use sio_core::socket::Spread;
use sio_tests::bad_input::{
    polling_url, reason_of, request, rss, upgrade, ws_url, Healthy, Msg, Polling, Reasons, Ws,
    MAX_GAP, REASON_WAIT,
};

// ---------------------------------------------------------------------------------------------
// The servers

/// The live sockets of `/`, per socket id.
type Sockets = Arc<Mutex<HashMap<String, Socket>>>;

/// One driver's servers and their healthy clients, shared by the tests of that driver.
struct Fixture {
    driver: &'static str,
    /// The reference's defaults (ping 25000/20000, max payload 1e6, 10 attachments).
    port: u16,
    reasons: Reasons,
    sockets: Sockets,
    /// Connection handlers of `/` that found no handshake on their socket.
    no_handshake: Arc<AtomicUsize>,
    healthy: Healthy,
    /// Pings every 300 ms, timeout 1000 ms: the half-open rows (a timeout short enough to
    /// wait out, long enough for the healthy client to answer on a loaded machine).
    hb_port: u16,
    hb_reasons: Reasons,
    hb_healthy: Healthy,
}

/// What the application records.
#[derive(Clone, Default)]
struct Records {
    reasons: Reasons,
    sockets: Sockets,
    no_handshake: Arc<AtomicUsize>,
}

/// The application: `/` echoes (`echo` with an ack → the ack, else `emit("echo", …)`) and
/// records each socket's disconnect reason under its id; `/dyn-<digits>` namespaces are
/// created on demand.
fn setup(io: &SocketIo, records: Records) {
    io.of("/").on_connection(move |socket: Socket| {
        let records = records.clone();
        async move {
            if socket.handshake().is_none() {
                records.no_handshake.fetch_add(1, Ordering::Relaxed);
            }
            let id = socket.id().as_str().to_owned();
            records
                .sockets
                .lock()
                .unwrap()
                .insert(id.clone(), socket.clone());
            let reasons = records.reasons.clone();
            socket.on_disconnect(move |_, reason| {
                reasons
                    .lock()
                    .unwrap()
                    .entry(id.clone())
                    .or_default()
                    .push(reason.as_str().to_owned());
                async {}
            });
            socket.on("echo", |socket: Socket, msg: Message| async move {
                let values = msg.values().unwrap_or_default();
                if msg.has_ack() {
                    let _ = msg.ack(&Spread(values));
                } else {
                    let _ = socket.emit("echo", &Spread(values));
                }
            });
        }
    });
    io.dynamic_namespaces(|name| {
        name.strip_prefix("/dyn-")
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()))
    });
    io.on_dynamic_connection(|_socket: Socket| async {});
}

fn config(ping_interval: u64, ping_timeout: u64) -> SocketIoConfig {
    SocketIoConfig {
        engine: ServerConfig {
            ping_interval: Duration::from_millis(ping_interval),
            ping_timeout: Duration::from_millis(ping_timeout),
            path: "/socket.io/".into(),
            ..ServerConfig::default()
        },
        ..SocketIoConfig::default()
    }
}

/// Starts the two servers of `driver` (default timings; ping 300/1000 ms) on a runtime of
/// their own (two worker threads, as the interop servers), in a thread that lives as long as
/// the test process; their ports and what their application records.
fn start(driver: &'static str) -> [(u16, Records); 2] {
    let records = [Records::default(), Records::default()];
    let servers: Vec<(SocketIoConfig, sio_tests::servers::Setup)> = [
        (config(25_000, 20_000), records[0].clone()),
        (config(300, 1000), records[1].clone()),
    ]
    .into_iter()
    .map(|(cfg, r)| {
        let setup: sio_tests::servers::Setup = Box::new(move |io| setup(io, r));
        (cfg, setup)
    })
    .collect();
    let ports = sio_tests::servers::start(driver, servers);
    let [main, hb] = records;
    [(ports[0], main), (ports[1], hb)]
}

fn fixture(driver: &'static str) -> &'static Fixture {
    static TOKIO: OnceLock<Fixture> = OnceLock::new();
    static SMOL: OnceLock<Fixture> = OnceLock::new();
    let cell = if driver == "tokio" { &TOKIO } else { &SMOL };
    cell.get_or_init(|| {
        let [(port, main), (hb_port, hb)] = start(driver);
        Fixture {
            driver,
            port,
            reasons: main.reasons,
            sockets: main.sockets,
            no_handshake: main.no_handshake,
            healthy: Healthy::start(port),
            hb_port,
            hb_reasons: hb.reasons,
            hb_healthy: Healthy::start(hb_port),
        }
    })
}

/// Rows hold it shared; the memory rows hold it alone, so other rows' buffers do not count.
static MEMORY: RwLock<()> = RwLock::new(());

// ---------------------------------------------------------------------------------------------
// Rows

type Run = Arc<dyn Fn(&Fixture, &str) -> String + Send + Sync>;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    /// Runs beside the others, a few at a time.
    Normal,
    /// Takes long (a timeout to wait out): started first, on its own thread.
    Long,
    /// Measures the process's memory: runs alone (both drivers' rows wait).
    Alone,
}

#[derive(Clone)]
struct Row {
    /// `name [transport]`.
    name: String,
    /// The `row` query parameter of its connections.
    tag: String,
    /// What is sent, for the table.
    input: String,
    /// The reference's answer.
    reference: &'static str,
    /// sio's expected answer when it deliberately differs from the reference.
    sio: Option<&'static str>,
    /// Why sio differs (or anything worth knowing about the row).
    note: &'static str,
    /// Whether it uses the heartbeat server (and its healthy client).
    heartbeat: bool,
    class: Class,
    run: Run,
}

impl Row {
    fn new(
        name: &str,
        transport: &str,
        input: impl Into<String>,
        reference: &'static str,
        run: impl Fn(&Fixture, &str) -> String + Send + Sync + 'static,
    ) -> Row {
        let (full, tag) = match transport {
            "" => (name.to_owned(), name.to_owned()),
            t => (format!("{name} [{t}]"), format!("{name}-{}", &t[..1])),
        };
        Row {
            name: full,
            tag,
            input: input.into(),
            reference,
            sio: None,
            note: "",
            heartbeat: false,
            class: Class::Normal,
            run: Arc::new(run),
        }
    }

    /// sio answers `answer` on purpose, for the reason `why`.
    fn sio(mut self, answer: &'static str, why: &'static str) -> Row {
        self.sio = Some(answer);
        self.note = why;
        self
    }

    fn note(mut self, note: &'static str) -> Row {
        self.note = note;
        self
    }

    fn class(mut self, class: Class) -> Row {
        self.class = class;
        self
    }

    fn heartbeat(mut self) -> Row {
        self.heartbeat = true;
        self
    }

    fn expected(&self) -> &'static str {
        self.sio.unwrap_or(self.reference)
    }
}

/// One WebSocket frame of a row.
#[derive(Clone)]
enum F {
    Text(String),
    /// A text frame of bytes that need not be UTF-8.
    Raw(Vec<u8>),
    Bin(Vec<u8>),
}

fn t(s: &str) -> F {
    F::Text(s.to_owned())
}

const PH0: &str = r#"{"_placeholder":true,"num":0}"#;
const PH1: &str = r#"{"_placeholder":true,"num":1}"#;

fn deep(n: usize) -> String {
    "[".repeat(n) + &"]".repeat(n)
}

fn big_nsp(n: usize) -> String {
    format!("/{}", "a".repeat(n))
}

fn show(f: &F) -> String {
    let s = match f {
        F::Text(s) => sio_tests::bad_input::cut_input(s),
        F::Raw(b) => sio_tests::bad_input::cut_input(&String::from_utf8_lossy(b))
            .replace('\u{fffd}', "\\xff"),
        F::Bin(b) => format!("<binary {b:02x?}>"),
    };
    if s.is_empty() {
        "(empty)".to_owned()
    } else {
        format!("`{s}`")
    }
}

/// A POST body and its headers.
type Body = (Vec<u8>, Vec<(&'static str, &'static str)>);

/// After joining `/` over polling: POSTs each body, then checks the session.
fn polling_run(bodies: Vec<Body>) -> impl Fn(&Fixture, &str) -> String {
    move |fx, tag| {
        let p = Polling::joined(fx.port, tag);
        let mut out = Vec::new();
        for (body, headers) in &bodies {
            out.push(format!("post {}", p.post(body, headers).notation()));
        }
        let state = p.state();
        let reason = if state == "open" {
            "-".to_owned()
        } else {
            reason_of(&fx.reasons, &p.socket, REASON_WAIT)
        };
        out.push(state);
        out.push(format!("reason {reason}"));
        out.join("; ")
    }
}

/// After joining `/` over a WebSocket: sends each frame, then checks the connection.
fn ws_run(frames: Vec<F>) -> impl Fn(&Fixture, &str) -> String {
    move |fx, tag| {
        let mut c = Ws::joined(fx.port, tag);
        for f in &frames {
            match f {
                F::Text(s) => c.send_text(s),
                F::Raw(b) => c.send_raw_text(b),
                F::Bin(b) => c.send_binary(b),
            }
        }
        // A CONNECT to another namespace is answered in its own time (through the middleware
        // chain, on both servers): wait for it, so that the echo probe does not overtake it.
        if frames
            .iter()
            .any(|f| matches!(f, F::Text(s) if s.starts_with("40/")))
        {
            c.wait_for(
                |m| matches!(m, Msg::Text(t) if t.starts_with("40/") || t.starts_with("44/")),
                Duration::from_secs(3),
            );
        }
        let socket = c.socket.clone();
        c.state(&fx.reasons, &socket)
    }
}

/// A row sent the same way over both transports (POST bodies, text frames).
struct Both {
    polling: Row,
    websocket: Row,
}

fn both(
    name: &'static str,
    what: &str,
    packets: &[&str],
    polling: &'static str,
    websocket: &'static str,
) -> Both {
    both_owned(
        name,
        what,
        packets.iter().map(|s| s.to_string()).collect(),
        polling,
        websocket,
    )
}

fn both_owned(
    name: &'static str,
    what: &str,
    packets: Vec<String>,
    polling: &'static str,
    websocket: &'static str,
) -> Both {
    let shown: Vec<String> = packets.iter().map(|p| show(&F::Text(p.clone()))).collect();
    let input = format!("{} {what}", shown.join(" then "));
    let bodies = packets
        .iter()
        .map(|p| (p.clone().into_bytes(), Vec::new()))
        .collect();
    let frames = packets.iter().map(|p| F::Text(p.clone())).collect();
    Both {
        polling: Row::new(name, "polling", input.clone(), polling, polling_run(bodies)),
        websocket: Row::new(name, "websocket", input, websocket, ws_run(frames)),
    }
}

impl Both {
    fn rows(self) -> [Row; 2] {
        [self.polling, self.websocket]
    }
    /// sio differs over polling only.
    fn sio_polling(mut self, polling: &'static str, why: &'static str) -> Both {
        self.polling = self.polling.sio(polling, why);
        self
    }
    /// sio differs on both transports.
    fn sio(mut self, polling: &'static str, websocket: &'static str, why: &'static str) -> Both {
        self.polling = self.polling.sio(polling, why);
        self.websocket = self.websocket.sio(websocket, why);
        self
    }
    /// The reference closes the session (`forced close`): sio too, with the close packet
    /// alone on the next poll.
    fn forced(mut self) -> Both {
        if self.polling.reference == P_FORCED {
            self.polling = self.polling.sio(P_FORCED_SIO, NOOP_PADDING);
        }
        self
    }
    fn note(mut self, note: &'static str) -> Both {
        self.polling = self.polling.note(note);
        self.websocket = self.websocket.note(note);
        self
    }
}

// The reference's answers, written once.
const P_PARSE: &str = r#"post 200 html ok; gone 400 json {"code":1,"message":"Session ID unknown"}; reason parse error"#;
const P_FORCED: &str = r#"post 200 html ok; closed 200 text 6\x1e1; reason forced close"#;
const P_OPEN: &str = "post 200 html ok; open; reason -";
/// sio's answer where the reference closes a polling connection with "forced server close".
const P_SERVER_CLOSE_SIO: &str = "post 200 html ok; closed 200 text 1; reason forced server close";
/// sio's answer where the reference answers [`P_FORCED`]: the close packet alone.
const P_FORCED_SIO: &str = "post 200 html ok; closed 200 text 1; reason forced close";
/// Why [`P_FORCED_SIO`] differs.
const NOOP_PADDING: &str = "the reference pads the close packet with a noop (`6\\x1e1`), an artifact of how it appends a pending close to the next poll; both tell the client the session is closed";
const W_PARSE: &str = "close 1005; reason parse error";
const W_FORCED: &str = "close 1005; reason forced close";
const W_OPEN: &str = "open; reason -";
const SID_UNKNOWN: &str = r#"400 json {"code":1,"message":"Session ID unknown"}"#;
const TRANSPORT_UNKNOWN: &str = r#"400 json {"code":0,"message":"Transport unknown"}"#;
const BAD_VERSION: &str = r#"400 json {"code":5,"message":"Unsupported protocol version"}"#;

const DEEP_JSON: &str = "sio limits nesting to 128 levels (validate.rs MAX_DEPTH) and closes the connection; V8's JSON.parse has no limit, and the reference process dies (stack overflow in socket.io-parser's hasBinary, uncaught) when a handler emits such a value back (`bad-input-reference.mjs --crash`)";
const ACK_IDS: &str = "sio keeps ack ids exact up to 2^64 - 1 (the reference reads them as doubles and answers a rounded id) and refuses larger ones (a parse error of the packet)";

mod rows;
use rows::rows;

/// 4 connections × 25 000 CONNECTs to `/dyn-<first + i>`, each left (`41/dyn-<n>,`) once its
/// reply came ([`IN_FLIGHT`] per connection).
/// CONNECTs in flight per flooding connection.
const IN_FLIGHT: usize = 16;

fn flood(port: u16, first: usize) -> String {
    let t0 = Instant::now();
    let r = flood_inner(port, first);
    println!("flood of /dyn-{first}…: {r} in {:.1?}", t0.elapsed());
    r
}

fn flood_inner(port: u16, first: usize) -> String {
    const PER: usize = 25_000;
    let threads: Vec<_> = (0..4)
        .map(|k| {
            std::thread::spawn(move || {
                let mut c = Ws::joined(port, "dyn");
                let (mut next, end) = (first + k * PER, first + (k + 1) * PER);
                for _ in 0..IN_FLIGHT {
                    c.send_text(&format!("40/dyn-{next},"));
                    next += 1;
                }
                let mut accepted = 0;
                while accepted < PER {
                    match c.next(|_| true, Duration::from_secs(10)) {
                        Some(Msg::Text(m)) if m.starts_with("40/dyn-") => {
                            let nsp = &m[2..m.find(',').unwrap_or(m.len())];
                            c.send_text(&format!("41{nsp},"));
                            if next < end {
                                c.send_text(&format!("40/dyn-{next},"));
                                next += 1;
                            }
                            accepted += 1;
                        }
                        Some(Msg::Text(m)) if m == "2" => c.send_text("3"),
                        Some(m) => return (accepted, format!("unexpected {m:?}")),
                        None => return (accepted, format!("stopped: {:?}", c.closed)),
                    }
                }
                c.close();
                (accepted, String::new())
            })
        })
        .collect();
    let mut total = 0;
    let mut errors = Vec::new();
    for t in threads {
        let (n, e) = t.join().unwrap();
        total += n;
        if !e.is_empty() {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        format!("{total} accepted")
    } else {
        format!("{total} accepted; {}", errors.join("; "))
    }
}

/// A request head dribbled one byte per second; how and when the server ends it.
fn slowloris(port: u16) -> String {
    let head = b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: localhost\r\n";
    let t0 = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let mut got = Vec::new();
    let mut i = 0;
    let closed = loop {
        if t0.elapsed() > Duration::from_secs(45) {
            break false;
        }
        let byte = head.get(i).copied().unwrap_or(b'X');
        i += 1;
        if s.write_all(&[byte]).is_err() {
            break true;
        }
        let mut buf = [0u8; 1024];
        match s.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break true,
        }
    };
    let secs = t0.elapsed().as_secs_f64();
    let when = match (closed, secs) {
        (false, _) => return "not closed within 45 s".to_owned(),
        (true, s) if s < 25.0 => format!("closed early ({s:.0} s)"),
        (true, s) if s <= 36.0 => "closed at the header timeout (30 s)".to_owned(),
        (true, s) => format!("closed late ({s:.0} s)"),
    };
    if got.is_empty() {
        format!("{when}, no answer")
    } else {
        let line = String::from_utf8_lossy(&got);
        format!("{when} with {}", line.lines().next().unwrap_or_default())
    }
}

/// Joins `/` on the heartbeat server, then goes silent; the reason and when it came.
fn half_open(fx: &Fixture, tag: &str, websocket: bool) -> String {
    let t0 = Instant::now();
    // Held open and never read or written again: no FIN, no pong.
    let (_held, socket): (Box<dyn std::any::Any>, String) = if websocket {
        let c = Ws::joined(fx.hb_port, tag);
        let socket = c.socket.clone();
        (Box::new(c), socket)
    } else {
        let p = Polling::joined(fx.hb_port, tag);
        let socket = p.socket.clone();
        (Box::new(p), socket)
    };
    let reason = reason_of(&fx.hb_reasons, &socket, Duration::from_secs(10));
    let ms = t0.elapsed().as_millis();
    // pingInterval 300 + pingTimeout 1000; 1.7 s of slack for a loaded machine.
    let when = match ms {
        0..=1249 => format!("too early ({ms} ms)"),
        1250..=3000 => "after ~1300 ms".to_owned(),
        _ => format!("after {ms} ms"),
    };
    format!("reason {reason} {when}")
}

// ---------------------------------------------------------------------------------------------
// Running

struct Outcome {
    row: Row,
    answer: String,
    gap: Result<Duration, String>,
    took: Duration,
}

impl Outcome {
    fn failure(&self) -> Option<String> {
        let mut why = Vec::new();
        if self.answer != self.row.expected() {
            why.push(format!(
                "answer\n      got:      {}\n      expected: {}",
                self.answer,
                self.row.expected()
            ));
        }
        match &self.gap {
            Ok(g) if *g > MAX_GAP => why.push(format!("healthy client gap {g:?} > {MAX_GAP:?}")),
            Ok(_) => {}
            Err(e) => why.push(e.clone()),
        }
        (!why.is_empty()).then(|| format!("{}: {}", self.row.name, why.join("; ")))
    }
}

fn run_row(fx: &'static Fixture, row: Row) -> Outcome {
    let _guard = match row.class {
        Class::Alone => Guard::Write(MEMORY.write().unwrap_or_else(|e| e.into_inner())),
        Class::Normal => Guard::Read(MEMORY.read().unwrap_or_else(|e| e.into_inner())),
        Class::Long => Guard::None,
    };
    let healthy = if row.heartbeat {
        &fx.hb_healthy
    } else {
        &fx.healthy
    };
    let t0 = Instant::now();
    let run = row.run.clone();
    let tag = row.tag.clone();
    let answer = std::thread::spawn(move || run(fx, &tag))
        .join()
        .unwrap_or_else(|e| format!("PANIC {:?}", e.downcast_ref::<String>()));
    let took = t0.elapsed();
    let gap = healthy.gap_since(t0);
    Outcome {
        row,
        answer,
        gap,
        took,
    }
}

enum Guard {
    Read(#[allow(dead_code)] std::sync::RwLockReadGuard<'static, ()>),
    Write(#[allow(dead_code)] std::sync::RwLockWriteGuard<'static, ()>),
    None,
}

/// Runs `rows` on `driver`: the long ones on their own threads at once, the others a few at a
/// time, the memory rows alone at the end.
fn run_rows(driver: &'static str, rows: Vec<Row>) -> Vec<Outcome> {
    let fx = fixture(driver);
    let (long, rest): (Vec<Row>, Vec<Row>) = rows.into_iter().partition(|r| r.class == Class::Long);
    let (alone, normal): (Vec<Row>, Vec<Row>) =
        rest.into_iter().partition(|r| r.class == Class::Alone);
    let long: Vec<_> = long
        .into_iter()
        .map(|r| std::thread::spawn(move || run_row(fx, r)))
        .collect();
    let queue = Arc::new(Mutex::new(normal));
    let workers: Vec<_> = (0..6)
        .map(|_| {
            let queue = queue.clone();
            std::thread::spawn(move || {
                let mut out = Vec::new();
                loop {
                    let row = queue.lock().unwrap().pop();
                    match row {
                        Some(r) => out.push(run_row(fx, r)),
                        None => return out,
                    }
                }
            })
        })
        .collect();
    let mut outcomes: Vec<Outcome> = workers
        .into_iter()
        .flat_map(|w| w.join().expect("worker"))
        .collect();
    for r in alone {
        outcomes.push(run_row(fx, r));
    }
    outcomes.extend(long.into_iter().map(|t| t.join().expect("long row")));
    outcomes
}

fn md(s: &str) -> String {
    s.replace('|', "\\|")
}

/// Prints the outcomes as the README's markdown table (notes as footnotes) and returns the
/// failures.
fn report(driver: &str, outcomes: Vec<Outcome>, took: Duration) -> Vec<String> {
    let all = rows();
    let mut notes: Vec<&'static str> = Vec::new();
    let mut footnote = |note: &'static str| {
        if note.is_empty() {
            return String::new();
        }
        let n = notes.iter().position(|&n| n == note).unwrap_or_else(|| {
            notes.push(note);
            notes.len() - 1
        });
        format!(" [{}]", n + 1)
    };
    println!("\n#### {driver}: {} rows in {took:.1?}\n", outcomes.len());
    println!(
        "| row | input | reference (socket.io 4.8) answers | sio answers | healthy client unaffected |"
    );
    println!("|---|---|---|---|---|");
    // Every row in table order.
    for row in &all {
        let (sio, healthy) = match outcomes.iter().find(|o| o.row.name == row.name) {
            Some(o) => {
                let mut sio = if o.answer == row.reference {
                    "the same".to_owned()
                } else {
                    md(&o.answer)
                };
                sio.push_str(&footnote(row.note));
                let healthy = match &o.gap {
                    Ok(g) if *g <= MAX_GAP => "yes".to_owned(),
                    Ok(g) => format!("NO (gap {g:.1?})"),
                    Err(e) => format!("NO ({e})"),
                };
                (sio, healthy)
            }
            None => continue,
        };
        println!(
            "| {} | {} | {} | {sio} | {healthy} |",
            row.name,
            md(&row.input),
            md(row.reference),
        );
    }
    println!();
    for (i, n) in notes.iter().enumerate() {
        println!("[{}] {}  ", i + 1, md(n));
    }
    if let Some(o) = outcomes.iter().max_by_key(|o| o.took) {
        println!("\nslowest row: {} ({:.1?})", o.row.name, o.took);
    }
    let mut gaps: Vec<(Duration, &str)> = outcomes
        .iter()
        .filter_map(|o| Some((*o.gap.as_ref().ok()?, o.row.name.as_str())))
        .collect();
    gaps.sort();
    let top: Vec<String> = gaps
        .iter()
        .rev()
        .take(3)
        .map(|(g, n)| format!("{n} {g:.1?}"))
        .collect();
    println!("longest healthy-client gaps during: {}", top.join(", "));
    outcomes.iter().filter_map(Outcome::failure).collect()
}

fn assert_passed(driver: &str, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{driver}: {} rows failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

fn table(driver: &'static str) {
    let fx = fixture(driver);
    let t0 = Instant::now();
    let outcomes = run_rows(driver, rows());
    let gaps: Vec<Duration> = [(&fx.healthy, &fx.reasons), (&fx.hb_healthy, &fx.hb_reasons)]
        .iter()
        .map(|(h, reasons)| {
            h.gap_since(t0).unwrap_or_else(|e| {
                let why = reason_of(reasons, &h.socket(), Duration::ZERO);
                panic!("{driver}: healthy client at the end: {e} (server's reason: {why})")
            })
        })
        .collect();
    println!(
        "{driver}: healthy clients echoed {} and {} events, longest gaps {:.1?} and {:.1?}",
        fx.healthy.echoes(),
        fx.hb_healthy.echoes(),
        gaps[0],
        gaps[1]
    );
    let failures = report(driver, outcomes, t0.elapsed());
    assert_passed(driver, &failures);
}

#[test]
fn bad_input_tokio() {
    table("tokio");
}

#[test]
fn bad_input_smol() {
    table("smol");
}
