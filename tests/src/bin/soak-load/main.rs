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

mod acked;
mod churn;
mod cluster;
mod raw;
mod stalled;
mod steady;

use raw::*;

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
        "steady" => rt.block_on(steady::steady(o)),
        "churn" => rt.block_on(churn::churn(o)),
        "stalled" => rt.block_on(stalled::stalled(o)),
        "acked" => rt.block_on(acked::acked(o)),
        "cluster" => rt.block_on(cluster::cluster(o)),
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
