//! One client stops reading while the server broadcasts a large volume to it and to 100
//! healthy clients (500 MiB in 64 KiB binary events in a release build, 16 MiB in a debug
//! one), on both drivers: the healthy clients get every event, in order; the stalled one is
//! handled by the documented policy (skipped by the paced broadcast once behind, then closed
//! with "send buffer full" when its queue fills); the server's resident memory stays within
//! a bound (without the limit, the stalled client's queue alone would hold the whole volume).
//!
//! The server is its own process (`sio-flood`), so its memory is measured alone; the clients
//! are raw Engine.IO/Socket.IO WebSocket clients on threads of this test.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tungstenite::{Message, WebSocket};

const HEALTHY: usize = 100;
const SIZE: usize = 64 * 1024;
/// 500 MiB in release builds (`tests/run.sh` runs it so), 16 MiB in debug builds.
const TOTAL: usize = if cfg!(debug_assertions) {
    16 << 20
} else {
    500 << 20
};
/// The server's resident memory may grow by at most this much while it broadcasts: 101
/// queues of at most 64 KiB (plus one event beyond) and each connection's WebSocket write
/// buffer, with room for the allocator.
const RSS_BOUND_KIB: u64 = 32 * 1024;

/// How long the broadcaster waits for a member to take an event before it goes on without
/// waiting for it (the member then catches up, or its queue fills and it is closed). Generous:
/// CI machines are small and shared, and a healthy reader must not look stalled.
const PATIENCE_MS: u64 = 10_000;

type Ws = WebSocket<TcpStream>;

struct Server(Child, u16);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(driver: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sio-flood"))
        .args(["--driver", driver])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start sio-flood");
    let out = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line).expect("port");
    let port = line
        .trim()
        .strip_prefix("listening ")
        .and_then(|p| p.parse().ok())
        .expect("listening <port>");
    Server(child, port)
}

/// A WebSocket session joined to `/`; answers pings while it waits for `want`.
fn connect(port: u16) -> Ws {
    let tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    tcp.set_nodelay(true).ok();
    let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tungstenite::client(url, tcp).expect("websocket");
    assert!(next_text(&mut ws).starts_with('0'), "open packet first");
    ws.send(Message::text("40")).unwrap();
    assert!(next_text(&mut ws).starts_with("40{"), "CONNECT reply");
    ws
}

/// The next text frame that is not a ping (pings are answered).
fn next_text(ws: &mut Ws) -> String {
    try_next_text(ws).expect("read")
}

fn try_next_text(ws: &mut Ws) -> Result<String, String> {
    loop {
        match ws.read().map_err(|e| e.to_string())? {
            Message::Text(t) if t.as_str() == "2" => {
                ws.send(Message::text("3")).map_err(|e| e.to_string())?
            }
            Message::Text(t) => return Ok(t.to_string()),
            _ => {}
        }
    }
}

/// Joins room `flood`; returns the socket id (the join's ack).
fn join(ws: &mut Ws) -> String {
    ws.send(Message::text(r#"420["join"]"#)).unwrap();
    let ack = next_text(ws);
    let id: Vec<String> = serde_json::from_str(ack.strip_prefix("430").expect("ack 0")).unwrap();
    id[0].clone()
}

/// Reads events `["m", seq, <bytes>]` until `count` came; checks their order and sizes. The
/// connection is handed back open (its close would count among the server's disconnects).
fn receive_all(mut ws: Ws, count: u64) -> (Result<u64, String>, Ws) {
    let got = receive(&mut ws, count);
    (got, ws)
}

fn receive(ws: &mut Ws, count: u64) -> Result<u64, String> {
    let mut next = 0u64;
    while next < count {
        let header = try_next_text(ws).map_err(|e| format!("after {next} events: {e}"))?;
        let Some(json) = header.strip_prefix("451-") else {
            return Err(format!("unexpected packet {header:.80}"));
        };
        let v: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let seq = v[1].as_u64().ok_or("no seq")?;
        if seq != next {
            return Err(format!("got event {seq}, expected {next}"));
        }
        match ws.read().map_err(|e| e.to_string())? {
            Message::Binary(b) if b.len() == SIZE => {}
            other => return Err(format!("attachment of event {seq}: {other:?}")),
        }
        next += 1;
    }
    Ok(next)
}

/// One run at a time: the two share the machine's cores with 101 reader threads each.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn stalled_reader_on(driver: &str) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = start_server(driver);
    let port = server.1;
    let count = (TOTAL / SIZE) as u64;
    let mut healthy = Vec::new();
    for _ in 0..HEALTHY {
        let mut ws = connect(port);
        join(&mut ws);
        healthy.push(std::thread::spawn(move || receive_all(ws, count)));
    }
    // The stalled client joins, then never reads again (its connection stays open).
    let mut stalled = connect(port);
    let stalled_id = join(&mut stalled);
    let mut control = connect(port);
    let started = Instant::now();
    control
        .send(Message::text(format!(
            r#"421["start",{{"count":{count},"size":{SIZE},"patience_ms":{PATIENCE_MS}}}]"#
        )))
        .unwrap();
    let report = loop {
        let t = next_text(&mut control);
        if let Some(json) = t.strip_prefix("431") {
            let v: Vec<serde_json::Value> = serde_json::from_str(json).unwrap();
            break v[0].clone();
        }
    };
    let (got, _open): (Vec<_>, Vec<_>) = healthy
        .into_iter()
        .map(|h| h.join().expect("reader"))
        .unzip();
    let elapsed = started.elapsed();
    let disconnects = report["disconnects"].as_array().expect("disconnects");
    for (i, got) in got.into_iter().enumerate() {
        assert_eq!(
            got,
            Ok(count),
            "{driver}: healthy client {i} ({disconnects:?})"
        );
    }
    assert_eq!(
        disconnects.len(),
        1,
        "{driver}: only the stalled client leaves: {disconnects:?}"
    );
    assert_eq!(disconnects[0][0], stalled_id.as_str());
    assert_eq!(disconnects[0][1], "send buffer full", "{driver}");
    let before = report["rss_before_kib"].as_u64().unwrap();
    let peak = report["rss_peak_kib"].as_u64().unwrap();
    println!(
        "{driver}: {} MiB to {HEALTHY} healthy clients and 1 stalled in {:.1} s; server RSS \
         {before} KiB before, peak {peak} KiB (+{} KiB)",
        TOTAL >> 20,
        elapsed.as_secs_f64(),
        peak.saturating_sub(before)
    );
    assert!(
        peak.saturating_sub(before) <= RSS_BOUND_KIB,
        "{driver}: server RSS grew by {} KiB (bound {RSS_BOUND_KIB} KiB)",
        peak - before
    );
    // Reading again, the stalled client finds what its kernel buffers held, then the end:
    // the server dropped the connection.
    stalled
        .get_mut()
        .set_read_timeout(Some(Duration::from_secs(5)))
        .ok();
    let ended = loop {
        match stalled.read() {
            Ok(_) => continue,
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                break false
            }
            Err(_) => break true,
        }
    };
    assert!(ended, "{driver}: the stalled client's connection is closed");
    drop(server);
}

#[test]
fn a_stalled_reader_is_closed_and_the_others_get_everything_tokio() {
    stalled_reader_on("tokio");
}

#[test]
fn a_stalled_reader_is_closed_and_the_others_get_everything_smol() {
    stalled_reader_on("smol");
}
