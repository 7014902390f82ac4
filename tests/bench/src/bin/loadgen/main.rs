//! The load generator: speaks Engine.IO/Socket.IO over WebSocket directly (or bare WebSocket to
//! the raw ceiling), runs one scenario and prints one `RESULT key=value …` line.
//!
//! ```text
//! loadgen --addr 127.0.0.1:3000 --proto sio|raw|sio-msgpack|sio-wt [--wt-hash HEX] --pid SERVER_PID
//!         --scenario echo|ack|binary|broadcast|idle [--clients 50] [--inflight 1]
//!         [--payload 64] [--warmup 1] [--duration 5] [--polling 0.0]
//!         [--active N --rate R]
//! ```
//!
//! - echo / ack / binary: `clients` connections in a closed loop, each keeping `inflight`
//!   requests outstanding; a round trip is one request and its answer.
//! - broadcast: `clients` receivers plus one sender that keeps `inflight` broadcasts
//!   outstanding; a broadcast completes when every socket (the sender too) got it, and its
//!   latency is the time to the last delivery. Rates count deliveries.
//! - `--polling F` puts that share of the echo/ack clients on HTTP long-polling (a mixed
//!   run), the others on WebSocket. The packets per GET answer and per POST (over the whole
//!   run) are then printed on stderr.
//! - `--active N --rate R` (echo and ack): only `N` of the `clients` connections send, each
//!   `R` requests per second at a steady pace whatever the answers (an open loop: latency is
//!   not hidden by waiting for answers); the others stay connected and idle (answering
//!   pings). `echo-10k` is 10,000 connections, 1,000 of them active.
//! - `--proto sio-wt` (echo only): the clients speak WebTransport (HTTP/3) to the UDP port of
//!   the same number, trusting the certificate whose SHA-256 hash `--wt-hash` gives.
//! - idle: opens `clients` connections, waits, and reports the server's resident memory growth
//!   per connection.
//! - Several servers (a cluster): `--addr` and `--pid` take comma-separated lists; connection
//!   `i` goes to address `i mod n` (the broadcast sender to the first), and CPU and memory
//!   are summed over the processes.
//!
//! Server CPU is read from `/proc/PID` at the start and end of the measured window (after
//! `warmup` seconds), so `cpu_us_per_msg` covers exactly the counted messages. Lost messages
//! are requests (or deliveries) still unanswered 3 s after the load stops; `reordered` counts
//! answers that overtook an earlier request's (a server that does not keep a socket's order).

use std::cell::{Cell, RefCell};
use std::collections::{HashMap as Map, VecDeque};
use std::rc::Rc;
use std::time::{Duration, Instant};

use async_tungstenite::tokio::{client_async_with_config, TokioAdapter};
use async_tungstenite::tungstenite::Message;
use async_tungstenite::{WebSocketReceiver, WebSocketSender, WebSocketStream};
use futures_util::{FutureExt, SinkExt, StreamExt};
use sio_bench::polling;
use sio_bench::procfs;
use sio_bench::stats::Latencies;
use sio_bench::wire::{self, Incoming, Proto};
use tokio::net::TcpStream;
use tokio::sync::Notify;

mod polling_client;
use polling_client::polling_client;

type Ws = WebSocketStream<TokioAdapter<TcpStream>>;
type Sink = WebSocketSender<TokioAdapter<TcpStream>>;
type Stream = WebSocketReceiver<TokioAdapter<TcpStream>>;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Scenario {
    Echo,
    Ack,
    Binary,
    Broadcast,
    Idle,
}

#[derive(Clone, Debug)]
struct Opts {
    addr: String,
    proto: Proto,
    scenario: Scenario,
    clients: usize,
    inflight: usize,
    payload: usize,
    warmup: f64,
    duration: f64,
    pid: Vec<u32>,
    /// Share of the clients on long-polling (echo and ack only); the rest use WebSocket.
    polling: f64,
    /// Clients that send (the others stay idle); all of them when `None`.
    active: Option<usize>,
    /// Requests per second of each active client, open loop (closed loop when `None`).
    rate: Option<f64>,
    /// `--proto sio-wt`: the clients use WebTransport.
    wt: bool,
    /// The certificate hash they trust.
    wt_hash: Option<String>,
}

fn opts() -> Opts {
    let mut o = Opts {
        addr: "127.0.0.1:3000".into(),
        proto: Proto::Sio,
        scenario: Scenario::Echo,
        clients: 50,
        inflight: 1,
        payload: 64,
        warmup: 1.0,
        duration: 5.0,
        pid: Vec::new(),
        polling: 0.0,
        active: None,
        rate: None,
        wt: false,
        wt_hash: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().unwrap_or_default();
        match flag.as_str() {
            "--addr" => o.addr = v,
            "--proto" => {
                o.proto = match v.as_str() {
                    "raw" => Proto::Raw,
                    "sio-msgpack" => Proto::SioMsgPack,
                    "sio-wt" => {
                        o.wt = true;
                        Proto::Sio
                    }
                    _ => Proto::Sio,
                }
            }
            "--scenario" => {
                o.scenario = match v.as_str() {
                    "echo" => Scenario::Echo,
                    "ack" => Scenario::Ack,
                    "binary" => Scenario::Binary,
                    "broadcast" => Scenario::Broadcast,
                    "idle" => Scenario::Idle,
                    other => panic!("unknown scenario {other}"),
                }
            }
            "--clients" => o.clients = v.parse().expect("clients"),
            "--inflight" => o.inflight = v.parse().expect("inflight"),
            "--payload" => o.payload = v.parse().expect("payload"),
            "--warmup" => o.warmup = v.parse().expect("warmup"),
            "--duration" => o.duration = v.parse().expect("duration"),
            "--pid" => o.pid = v.split(',').map(|p| p.parse().expect("pid")).collect(),
            "--polling" => o.polling = v.parse().expect("share of polling clients"),
            "--active" => o.active = Some(v.parse().expect("active clients")),
            "--rate" => o.rate = Some(v.parse().expect("requests per second per client")),
            "--wt-hash" => o.wt_hash = Some(v),
            other => panic!("unknown flag {other}"),
        }
    }
    o
}

/// Opens one connection, retrying a handshake that stalls (a lost SYN or answer under a
/// burst of thousands of connects must not hang the run).
async fn connect(addr: &str, proto: Proto) -> Ws {
    for _ in 0..5 {
        if let Ok(ws) =
            tokio::time::timeout(Duration::from_secs(10), try_connect(addr, proto)).await
        {
            return ws;
        }
    }
    panic!("no connection to {addr} after 5 attempts");
}

/// Opens one connection; for Socket.IO, completes the Engine.IO handshake and joins `/`.
async fn try_connect(addr: &str, proto: Proto) -> Ws {
    let tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.set_nodelay(true).expect("nodelay");
    let (mut ws, _) =
        client_async_with_config(wire::url(addr, proto), tcp, Some(wire::ws_config()))
            .await
            .expect("websocket handshake");
    if proto != Proto::Raw {
        let msgpack = proto == Proto::SioMsgPack;
        let mut joined = false;
        while !joined {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    if t.starts_with('0') {
                        let connect = if msgpack {
                            Message::binary(wire::CONNECT_MSGPACK.to_vec())
                        } else {
                            Message::text("40")
                        };
                        ws.send(connect).await.expect("send");
                    } else if t.starts_with("40") {
                        joined = true;
                    } else if t.as_str() == "2" {
                        ws.send(Message::text("3")).await.expect("send");
                    }
                }
                // The msgpack parser's CONNECT answer.
                Some(Ok(Message::Binary(_))) if msgpack => joined = true,
                Some(Ok(_)) => {}
                other => panic!("handshake failed: {other:?}"),
            }
        }
    }
    ws
}

/// Opens `n` connections, at most 64 handshakes at a time, spread over the addresses.
async fn connect_all(o: &Opts, n: usize) -> Vec<Ws> {
    let addrs: Vec<String> = o.addr.split(',').map(str::to_owned).collect();
    let mut out = Vec::with_capacity(n);
    let mut pending = Vec::new();
    for i in 0..n {
        let addr = addrs[i % addrs.len()].clone();
        let proto = o.proto;
        pending.push(tokio::task::spawn_local(async move {
            connect(&addr, proto).await
        }));
        if pending.len() == 64 {
            for p in pending.drain(..) {
                out.push(p.await.expect("connect task"));
            }
        }
    }
    for p in pending {
        out.push(p.await.expect("connect task"));
    }
    out
}

/// State shared by the client tasks of one run (one thread: `Cell`s).
#[derive(Default)]
struct Shared {
    /// Answers (or deliveries) are being counted.
    measuring: Cell<bool>,
    /// Stop sending; drain what is outstanding.
    stopping: Cell<bool>,
    /// Answers or deliveries counted in the window.
    done: Cell<u64>,
    latencies: RefCell<Latencies>,
    lost: Cell<u64>,
    /// Answers that overtook the answer to an earlier request of the same client.
    reordered: Cell<u64>,
    /// Broadcast: outstanding broadcasts by seq (sent at, deliveries still missing).
    broadcasts: RefCell<Map<u64, (Instant, usize)>>,
    /// Broadcast: a broadcast completed.
    completed: Notify,
    /// Broadcast: notified when the load stops and when the last broadcast still outstanding
    /// then completes. Wakes the receivers parked on a next frame that may never come (they
    /// got every broadcast sent, and the raw ceiling sends no pings) so that they end.
    settled: Notify,
    /// Polling: GET answers and POSTs made, and the packets they carried (all of the run).
    polling_counts: Cell<[u64; 4]>,
}

fn request(o: &Opts, seq: u64, payload: &str) -> Vec<Message> {
    if o.proto == Proto::SioMsgPack {
        assert_eq!(
            o.scenario,
            Scenario::Echo,
            "the msgpack parser runs the echo scenario"
        );
        return vec![Message::binary(wire::echo_msgpack(seq, payload))];
    }
    match o.scenario {
        Scenario::Ack => vec![Message::text(wire::ack(seq, payload))],
        Scenario::Binary => vec![
            Message::text(wire::binary_header(seq)),
            Message::binary(vec![0xA5u8; o.payload]),
        ],
        Scenario::Broadcast => vec![Message::text(wire::broadcast(seq, payload))],
        _ => vec![Message::text(wire::echo(seq, payload))],
    }
}

/// Queues `msgs` without flushing.
async fn feed_all(sink: &mut Sink, msgs: Vec<Message>) -> bool {
    for m in msgs {
        if sink.feed(m).await.is_err() {
            return false;
        }
    }
    true
}

/// Writes `msgs` and flushes.
async fn send_all(sink: &mut Sink, msgs: Vec<Message>) -> bool {
    feed_all(sink, msgs).await && sink.flush().await.is_ok()
}

/// One closed-loop client: `inflight` requests outstanding until told to stop.
async fn echo_client(o: Rc<Opts>, ws: Ws, sh: Rc<Shared>, id: u64) {
    let payload = "x".repeat(o.payload);
    let (mut sink, mut stream) = ws.split();
    let mut outstanding: VecDeque<(u64, Instant)> = VecDeque::new();
    // Sequence numbers are unique across clients (acks use them as ids).
    let mut next = id << 32;
    for _ in 0..o.inflight {
        outstanding.push_back((next, Instant::now()));
        if !send_all(&mut sink, request(&o, next, &payload)).await {
            return;
        }
        next += 1;
    }
    let mut pending_binary: Option<(u64, u32)> = None;
    // Requests are fed as answers arrive and flushed once nothing more is ready to read, so
    // the generator spends one `send` per batch, not per message, and stays ahead of the
    // server it loads.
    let mut unflushed = false;
    loop {
        if sh.stopping.get() && outstanding.is_empty() {
            break;
        }
        let msg = match stream.next().now_or_never() {
            Some(m) => m,
            None => {
                if unflushed {
                    if sink.flush().await.is_err() {
                        break;
                    }
                    unflushed = false;
                }
                if sh.stopping.get() {
                    match tokio::time::timeout(Duration::from_secs(3), stream.next()).await {
                        Ok(m) => m,
                        Err(_) => break,
                    }
                } else {
                    stream.next().await
                }
            }
        };
        let seq = match msg {
            Some(Ok(Message::Text(t))) => match wire::parse(&t) {
                Incoming::Ping => {
                    unflushed = true;
                    if !feed_all(&mut sink, vec![Message::text("3")]).await {
                        break;
                    }
                    continue;
                }
                Incoming::Answer { seq, attachments } if attachments > 0 => {
                    pending_binary = Some((seq, attachments));
                    continue;
                }
                Incoming::Answer { seq, .. } => seq,
                Incoming::Other => continue,
            },
            Some(Ok(Message::Binary(b))) if o.proto == Proto::SioMsgPack => {
                match wire::parse_msgpack(&b) {
                    Some(seq) => seq,
                    None => continue,
                }
            }
            Some(Ok(Message::Binary(_))) => match pending_binary.take() {
                Some((seq, 1)) => seq,
                Some((seq, n)) => {
                    pending_binary = Some((seq, n - 1));
                    continue;
                }
                None => continue,
            },
            Some(Ok(_)) => continue,
            _ => break,
        };
        complete(&mut outstanding, seq, &sh);
        if !sh.stopping.get() {
            outstanding.push_back((next, Instant::now()));
            unflushed = true;
            if !feed_all(&mut sink, request(&o, next, &payload)).await {
                break;
            }
            next += 1;
        }
    }
    sh.lost.set(sh.lost.get() + outstanding.len() as u64);
}

/// One closed-loop client over WebTransport (echo): `inflight` requests outstanding.
async fn wt_echo_client(o: Rc<Opts>, mut conn: sio_bench::wt::WtConn, sh: Rc<Shared>, id: u64) {
    let payload = "x".repeat(o.payload);
    let mut outstanding: VecDeque<(u64, Instant)> = VecDeque::new();
    let mut next = id << 32;
    for _ in 0..o.inflight {
        outstanding.push_back((next, Instant::now()));
        if !conn.send_text(&wire::echo(next, &payload)).await {
            return;
        }
        next += 1;
    }
    loop {
        if sh.stopping.get() && outstanding.is_empty() {
            break;
        }
        let text = if sh.stopping.get() {
            match tokio::time::timeout(Duration::from_secs(3), conn.next_text()).await {
                Ok(t) => t,
                Err(_) => break,
            }
        } else {
            conn.next_text().await
        };
        let Some(text) = text else { break };
        let seq = match wire::parse(&text) {
            Incoming::Ping => {
                if !conn.send_text("3").await {
                    break;
                }
                continue;
            }
            Incoming::Answer { seq, .. } => seq,
            Incoming::Other => continue,
        };
        complete(&mut outstanding, seq, &sh);
        if !sh.stopping.get() {
            outstanding.push_back((next, Instant::now()));
            if !conn.send_text(&wire::echo(next, &payload)).await {
                break;
            }
            next += 1;
        }
    }
    sh.lost.set(sh.lost.get() + outstanding.len() as u64);
}

/// Counts the answer to `seq`. Answers should come in the order of the requests (Socket.IO
/// dispatches a socket's events in order); one that overtakes earlier requests counts as
/// `reordered` (the requests it overtook stay outstanding: lost if never answered).
fn complete(outstanding: &mut VecDeque<(u64, Instant)>, seq: u64, sh: &Shared) {
    let Some(i) = outstanding.iter().position(|(s, _)| *s == seq) else {
        return;
    };
    if i > 0 {
        sh.reordered.set(sh.reordered.get() + 1);
    }
    if let Some((_, at)) = outstanding.remove(i) {
        if sh.measuring.get() {
            sh.done.set(sh.done.get() + 1);
            sh.latencies.borrow_mut().record(at.elapsed());
        }
    }
}

/// One open-loop client: a request every `1 / rate` seconds (the first after an offset that
/// spreads the clients over the period), answers counted as they come.
async fn paced_client(o: Rc<Opts>, ws: Ws, sh: Rc<Shared>, id: u64, rate: f64) {
    let payload = "x".repeat(o.payload);
    let (mut sink, mut stream) = ws.split();
    let period = Duration::from_secs_f64(1.0 / rate);
    let offset = period.mul_f64((id.wrapping_mul(2_654_435_761) % 1000) as f64 / 1000.0);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + offset, period);
    let mut outstanding: VecDeque<(u64, Instant)> = VecDeque::new();
    let mut next = id << 32;
    loop {
        if sh.stopping.get() && outstanding.is_empty() {
            break;
        }
        let msg = tokio::select! {
            _ = tick.tick(), if !sh.stopping.get() => {
                outstanding.push_back((next, Instant::now()));
                if !send_all(&mut sink, request(&o, next, &payload)).await {
                    break;
                }
                next += 1;
                continue;
            }
            m = stream.next() => m,
            () = tokio::time::sleep(Duration::from_secs(3)), if sh.stopping.get() => break,
        };
        match msg {
            Some(Ok(Message::Text(t))) => match wire::parse(&t) {
                Incoming::Ping => {
                    if !send_all(&mut sink, vec![Message::text("3")]).await {
                        break;
                    }
                }
                Incoming::Answer { seq, .. } => complete(&mut outstanding, seq, &sh),
                Incoming::Other => {}
            },
            Some(Ok(_)) => {}
            _ => break,
        }
    }
    sh.lost.set(sh.lost.get() + outstanding.len() as u64);
}

/// A broadcast receiver: counts deliveries, answers pings, until the run ends.
async fn receiver(mut stream: Stream, sink: Rc<tokio::sync::Mutex<Sink>>, sh: Rc<Shared>) {
    loop {
        if sh.stopping.get() && sh.broadcasts.borrow().is_empty() {
            break;
        }
        // `None` when woken by `settled`: check again.
        let next = async {
            tokio::select! {
                m = stream.next() => Some(m),
                () = sh.settled.notified() => None,
            }
        };
        let msg = if sh.stopping.get() {
            match tokio::time::timeout(Duration::from_secs(3), next).await {
                Ok(m) => m,
                Err(_) => break,
            }
        } else {
            next.await
        };
        let Some(msg) = msg else { continue };
        let Some(Ok(Message::Text(t))) = msg else {
            if matches!(msg, Some(Ok(_))) {
                continue;
            }
            break;
        };
        match wire::parse(&t) {
            Incoming::Ping => {
                let _ = send_all(&mut *sink.lock().await, vec![Message::text("3")]).await;
            }
            Incoming::Answer { seq, .. } => {
                let mut b = sh.broadcasts.borrow_mut();
                if let Some((at, missing)) = b.get_mut(&seq) {
                    *missing -= 1;
                    if sh.measuring.get() {
                        sh.done.set(sh.done.get() + 1);
                    }
                    if *missing == 0 {
                        if sh.measuring.get() {
                            sh.latencies.borrow_mut().record(at.elapsed());
                        }
                        b.remove(&seq);
                        sh.completed.notify_one();
                        if sh.stopping.get() && b.is_empty() {
                            sh.settled.notify_waiters();
                        }
                    }
                }
            }
            Incoming::Other => {}
        }
    }
}

/// The broadcast sender: keeps `inflight` broadcasts outstanding.
async fn broadcaster(
    o: Rc<Opts>,
    sink: Rc<tokio::sync::Mutex<Sink>>,
    sh: Rc<Shared>,
    sockets: usize,
) {
    let payload = "x".repeat(o.payload);
    let mut seq = 0u64;
    while !sh.stopping.get() {
        if sh.broadcasts.borrow().len() < o.inflight {
            sh.broadcasts
                .borrow_mut()
                .insert(seq, (Instant::now(), sockets));
            if !send_all(&mut *sink.lock().await, request(&o, seq, &payload)).await {
                return;
            }
            seq += 1;
        } else {
            sh.completed.notified().await;
        }
    }
}

/// CPU time of the server processes, summed.
fn cpu(pids: &[u32]) -> u64 {
    pids.iter().map(|p| procfs::cpu_micros(*p)).sum()
}

/// Resident memory of the server processes, summed.
fn rss(pids: &[u32]) -> u64 {
    pids.iter().map(|p| procfs::rss_kib(*p)).sum()
}

fn main() {
    let o = Rc::new(opts());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, run(o));
}

async fn run(o: Rc<Opts>) {
    let sh = Rc::new(Shared::default());
    let rss_before = rss(&o.pid);
    let extra = usize::from(o.scenario == Scenario::Broadcast);
    let polling_clients = (o.clients as f64 * o.polling).round() as usize;
    let mut sessions = Vec::with_capacity(polling_clients);
    for _ in 0..polling_clients {
        sessions.push(
            polling::Session::open(&o.addr)
                .await
                .expect("polling handshake"),
        );
    }
    if o.wt {
        assert_eq!(
            o.scenario,
            Scenario::Echo,
            "WebTransport runs the echo scenario"
        );
        let hash = sio_bench::wt::parse_hash(o.wt_hash.as_deref().expect("--wt-hash"));
        let mut tasks = Vec::new();
        for i in 0..o.clients {
            let conn = sio_bench::wt::WtConn::connect(&o.addr, &hash).await;
            tasks.push(tokio::task::spawn_local(wt_echo_client(
                o.clone(),
                conn,
                sh.clone(),
                i as u64 + 1,
            )));
        }
        return measure(o, sh, tasks).await;
    }
    let conns = connect_all(&o, o.clients + extra - polling_clients).await;
    let sockets = conns.len();
    if o.scenario == Scenario::Idle {
        let mut keep = Vec::new();
        for ws in conns {
            let (sink, stream) = ws.split();
            let sink = Rc::new(tokio::sync::Mutex::new(sink));
            keep.push(tokio::task::spawn_local(receiver(stream, sink, sh.clone())));
        }
        tokio::time::sleep(Duration::from_secs_f64(o.warmup.max(2.0))).await;
        let rss_after = rss(&o.pid);
        let per_conn = (rss_after.saturating_sub(rss_before)) as f64 / sockets as f64;
        println!(
            "RESULT scenario=idle clients={sockets} rss_before_kib={rss_before} \
             rss_after_kib={rss_after} rss_kib_per_conn={per_conn:.2}"
        );
        return;
    }
    let mut tasks = Vec::new();
    if o.scenario == Scenario::Broadcast {
        for (i, ws) in conns.into_iter().enumerate() {
            let (sink, stream) = ws.split();
            let sink = Rc::new(tokio::sync::Mutex::new(sink));
            if i == 0 {
                tasks.push(tokio::task::spawn_local(broadcaster(
                    o.clone(),
                    sink.clone(),
                    sh.clone(),
                    sockets,
                )));
            }
            tasks.push(tokio::task::spawn_local(receiver(stream, sink, sh.clone())));
        }
    } else {
        let active = o.active.unwrap_or(usize::MAX);
        for (i, ws) in conns.into_iter().enumerate() {
            let id = i as u64 + 1;
            let task = if i >= active {
                // Connected and idle: answers pings only.
                let (sink, stream) = ws.split();
                let sink = Rc::new(tokio::sync::Mutex::new(sink));
                tokio::task::spawn_local(receiver(stream, sink, sh.clone()))
            } else if let Some(rate) = o.rate {
                tokio::task::spawn_local(paced_client(o.clone(), ws, sh.clone(), id, rate))
            } else {
                tokio::task::spawn_local(echo_client(o.clone(), ws, sh.clone(), id))
            };
            tasks.push(task);
        }
        for (i, session) in sessions.into_iter().enumerate() {
            tasks.push(tokio::task::spawn_local(polling_client(
                o.clone(),
                session,
                sh.clone(),
                (o.clients + i) as u64 + 1,
            )));
        }
    }
    measure(o, sh, tasks).await;
}

/// Lets the clients run: warm-up, the measured window, the drain; prints the result.
async fn measure(o: Rc<Opts>, sh: Rc<Shared>, tasks: Vec<tokio::task::JoinHandle<()>>) {
    tokio::time::sleep(Duration::from_secs_f64(o.warmup)).await;
    let cpu0 = cpu(&o.pid);
    let t0 = Instant::now();
    sh.measuring.set(true);
    // For a profiler to start counting here (tests/bench/profile.sh with WARMUP).
    eprintln!("measuring");
    tokio::time::sleep(Duration::from_secs_f64(o.duration)).await;
    sh.measuring.set(false);
    let cpu1 = cpu(&o.pid);
    let secs = t0.elapsed().as_secs_f64();
    let done = sh.done.get();
    sh.stopping.set(true);
    sh.completed.notify_waiters();
    sh.settled.notify_waiters();
    for t in tasks {
        let _ = t.await;
    }
    let lost = sh.lost.get()
        + sh.broadcasts
            .borrow()
            .values()
            .map(|(_, missing)| *missing as u64)
            .sum::<u64>();
    let mut lat = sh.latencies.take();
    let cpu = cpu1.saturating_sub(cpu0);
    if o.polling > 0.0 {
        let [gets, got, posts, sent] = sh.polling_counts.get().map(|n| n.max(1));
        eprintln!(
            "polling: {gets} GET answers with {:.2} packets each, {posts} POSTs with {:.2}",
            got as f64 / gets as f64,
            sent as f64 / posts.max(1) as f64
        );
    }
    println!(
        "RESULT scenario={:?} clients={} inflight={} msgs={done} secs={secs:.2} \
         msgs_per_s={:.0} p50_us={} p99_us={} lost={lost} reordered={} server_cpu_pct={:.1} \
         cpu_us_per_msg={:.3}",
        o.scenario,
        o.clients,
        o.inflight,
        done as f64 / secs,
        lat.percentile(50.0),
        lat.percentile(99.0),
        sh.reordered.get(),
        cpu as f64 / 1e4 / secs,
        if done == 0 {
            0.0
        } else {
            cpu as f64 / done as f64
        },
    );
}
