//! The server of the soak run (`tests/soak/run.sh`): sio on tokio with connection state
//! recovery, short heartbeats, an application that keeps emitting, and a control port that
//! reports what the process holds.
//!
//! ```text
//! soak-server [--port 0] [--ctl-port 0] [--ping-interval 2000] [--ping-timeout 2000]
//!             [--recovery-secs 10] [--bulk-kib 64] [--bulk-every-ms 50]
//!             [--redis redis://127.0.0.1:PORT/ --name A]
//! ```
//!
//! Prints `listening <port> control <ctl-port>`. Clients connect to `/` with
//! `?rooms=a,b` (rooms joined on connection). The application:
//! - `msg` (client, seq) with ack: records the pair (the soak compares it with what the
//!   client saw acked) and acks with `seq`;
//! - `light` (n) with ack: acks with `n` (the steady population's light activity);
//! - `want-bulk` (count, bytes): emits `count` events of `bytes` characters to that socket
//!   (individually encoded), to fill the buffers of a reader that then stalls;
//! - every 250 ms a `tick` to one of the rooms `g0`…`g15` in turn; every 50 ms `n` (seq) to
//!   room `rec` (the recovery clients count these); every `--bulk-every-ms` a `bulk` event of
//!   `--bulk-kib` KiB to room `bulk` while it has members; with `--redis`, every 100 ms
//!   `c` (name, seq, unix ms) to room `cl` on every server of the cluster.
//!
//! A panic hook counts every panic (caught ones included) and logs it with a backtrace on
//! stderr. The control protocol is described in `sio_tests::soak`.

/// With the `jemalloc` feature (the soak builds it so), jemalloc's decay gives freed pages
/// back to the system; glibc's malloc keeps the high-water of a fault phase resident, which
/// the soak's RSS check cannot tell from memory the server holds.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sio_core::api::socketio::{Message, Socket, SocketIo, SocketIoConfig};
use sio_core::engine::server::ServerConfig;
use sio_core::socket::server::RecoveryConfig;
use sio_tests::soak;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

static PANICS: AtomicU64 = AtomicU64::new(0);
/// The most a 100 ms ticker of the server's runtime was late since the previous `stats`
/// request, in ms: how long the runtime could not run a ready task (a stall or a starved
/// machine), which the soak reads beside its other numbers.
static LAG_MS: AtomicU64 = AtomicU64::new(0);
/// Control connections open now: `fds` leaves them out, so asking does not change the answer.
static CONTROL_CONNS: AtomicU64 = AtomicU64::new(0);

struct Opts {
    port: u16,
    ctl_port: u16,
    ping_interval: u64,
    ping_timeout: u64,
    recovery_secs: u64,
    bulk_kib: usize,
    bulk_every_ms: u64,
    redis: Option<String>,
    name: String,
}

/// What the application saw, for the control port.
#[derive(Default)]
struct App {
    /// `msg` sequence numbers per client, with how many times each came.
    received: Mutex<HashMap<String, HashMap<u64, u32>>>,
    received_total: AtomicU64,
    /// The last `n` emitted to room `rec` (0: none yet; they start at 1).
    rec_seq: AtomicU64,
    /// The last `c` emitted to room `cl`.
    cl_seq: AtomicU64,
    /// Sockets that joined room `bulk` and have not disconnected.
    bulk_members: AtomicUsize,
    /// `want-bulk` events answered and bulk broadcasts made.
    bulk_sent: AtomicU64,
}

fn opts() -> Opts {
    let mut o = Opts {
        port: 0,
        ctl_port: 0,
        ping_interval: 2000,
        ping_timeout: 2000,
        recovery_secs: 10,
        bulk_kib: 64,
        bulk_every_ms: 50,
        redis: None,
        name: "A".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().unwrap_or_default();
        let n = || {
            v.parse::<u64>()
                .unwrap_or_else(|_| panic!("{flag}: a number"))
        };
        match flag.as_str() {
            "--port" => o.port = n() as u16,
            "--ctl-port" => o.ctl_port = n() as u16,
            "--ping-interval" => o.ping_interval = n(),
            "--ping-timeout" => o.ping_timeout = n(),
            "--recovery-secs" => o.recovery_secs = n(),
            "--bulk-kib" => o.bulk_kib = n() as usize,
            "--bulk-every-ms" => o.bulk_every_ms = n(),
            "--redis" => o.redis = Some(v),
            "--name" => o.name = v,
            other => panic!("unknown flag {other}"),
        }
    }
    o
}

fn main() {
    // Counted before anything runs, so that a panic anywhere (a handler, a driver task, a
    // caught one) shows in the control port's `panics`.
    std::panic::set_hook(Box::new(|info| {
        let n = PANICS.fetch_add(1, Ordering::SeqCst) + 1;
        let bt = std::backtrace::Backtrace::force_capture();
        eprintln!("soak-server: PANIC #{n}: {info}\n{bt}");
    }));
    let o = opts();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(o));
}

async fn run(o: Opts) {
    let config = SocketIoConfig {
        engine: ServerConfig {
            ping_interval: Duration::from_millis(o.ping_interval),
            ping_timeout: Duration::from_millis(o.ping_timeout),
            path: "/socket.io/".into(),
            ..ServerConfig::default()
        },
        // Short, so that the log of emitted events (which recovery keeps for this long) holds
        // the same few seconds of traffic when memory is measured before and after the faults.
        recovery: Some(RecoveryConfig {
            max_disconnection_duration: Duration::from_secs(o.recovery_secs),
            ..RecoveryConfig::default()
        }),
        ..SocketIoConfig::default()
    };
    let server = sio_tokio::SocketIoServer::new(config);
    let app = Arc::new(App::default());
    setup(server.io(), &app);
    let _adapter = match &o.redis {
        Some(url) => Some(
            sio_tokio::RedisAdapter::connect(&server, url)
                .await
                .expect("redis"),
        ),
        None => None,
    };
    tickers(server.io(), &app, &o);

    // A deep accept queue: the soak opens thousands of connections at once.
    let listener = listen(o.port);
    let ctl = listen(o.ctl_port);
    println!(
        "listening {} control {}",
        listener.local_addr().expect("addr").port(),
        ctl.local_addr().expect("addr").port()
    );
    tokio::spawn(control(ctl, server.io().clone(), app.clone()));
    server.serve(listener).await.expect("serve");
}

fn listen(port: u16) -> tokio::net::TcpListener {
    let s = tokio::net::TcpSocket::new_v4().expect("socket");
    s.set_reuseaddr(true).expect("reuseaddr");
    s.bind(([127, 0, 0, 1], port).into()).expect("bind");
    s.listen(4096).expect("listen")
}

fn setup(io: &SocketIo, app: &Arc<App>) {
    let app = app.clone();
    io.of("/").on_connection(move |socket: Socket| {
        let app = app.clone();
        async move {
            let rooms = socket
                .handshake()
                .and_then(|h| h.query("rooms").map(str::to_owned))
                .unwrap_or_default();
            let mut bulk = false;
            for room in rooms.split(',').filter(|r| !r.is_empty()) {
                bulk |= room == "bulk";
                let _ = socket.join(room.to_owned());
            }
            if bulk {
                app.bulk_members.fetch_add(1, Ordering::SeqCst);
                let a = app.clone();
                socket.on_disconnect(move |_, _| {
                    a.bulk_members.fetch_sub(1, Ordering::SeqCst);
                    async {}
                });
            }
            let a = app.clone();
            socket.on("msg", move |_, msg: Message| {
                if let Ok((client, seq)) = msg.args::<(String, u64)>() {
                    *a.received
                        .lock()
                        .unwrap()
                        .entry(client)
                        .or_default()
                        .entry(seq)
                        .or_default() += 1;
                    a.received_total.fetch_add(1, Ordering::SeqCst);
                    let _ = msg.ack(&seq);
                }
                async {}
            });
            socket.on("light", |_, msg: Message| {
                let n: u64 = msg.arg(0).unwrap_or(0);
                let _ = msg.ack(&n);
                async {}
            });
            let a = app.clone();
            socket.on("want-bulk", move |socket: Socket, msg: Message| {
                let count: usize = msg.arg(0).unwrap_or(0);
                let bytes: usize = msg.arg(1).unwrap_or(0);
                let data = "b".repeat(bytes.min(1 << 20));
                for i in 0..count.min(256) {
                    let _ = socket.emit("bulk", &(i, &data));
                }
                a.bulk_sent.fetch_add(1, Ordering::SeqCst);
                async {}
            });
        }
    });
}

fn tickers(io: &SocketIo, app: &Arc<App>, o: &Opts) {
    tokio::spawn(async {
        let period = Duration::from_millis(100);
        let mut last = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(period).await;
            let now = tokio::time::Instant::now();
            let late = now.duration_since(last).saturating_sub(period);
            LAG_MS.fetch_max(late.as_millis() as u64, Ordering::SeqCst);
            last = now;
        }
    });
    let i = io.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_millis(250));
        for k in (0..16u64).cycle() {
            every.tick().await;
            let _ = i.sockets().to(format!("g{k}")).emit("tick", &k);
        }
    });
    let (i, a) = (io.clone(), app.clone());
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_millis(50));
        loop {
            every.tick().await;
            let n = a.rec_seq.fetch_add(1, Ordering::SeqCst) + 1;
            let _ = i.sockets().to("rec").emit("n", &n);
        }
    });
    let (i, a) = (io.clone(), app.clone());
    let data = "B".repeat(o.bulk_kib * 1024);
    let period = Duration::from_millis(o.bulk_every_ms.max(1));
    tokio::spawn(async move {
        let mut every = tokio::time::interval(period);
        loop {
            every.tick().await;
            // Only while someone is in the room: an emit is logged for recovery whether or
            // not it reaches anyone, and idle bulk would inflate the memory measured.
            if a.bulk_members.load(Ordering::SeqCst) > 0 {
                let _ = i.sockets().to("bulk").emit("bulk", &data);
                a.bulk_sent.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    if o.redis.is_some() {
        let (i, a, name) = (io.clone(), app.clone(), o.name.clone());
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(100));
            loop {
                every.tick().await;
                let n = a.cl_seq.fetch_add(1, Ordering::SeqCst) + 1;
                let _ = i.sockets().to("cl").emit("c", &(&name, n, soak::unix_ms()));
            }
        });
    }
}

async fn control(listener: tokio::net::TcpListener, io: SocketIo, app: Arc<App>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (io, app) = (io.clone(), app.clone());
        CONTROL_CONNS.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            let (r, mut w) = stream.into_split();
            let mut lines = BufReader::new(r).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let answer = answer(&io, &app, line.trim());
                if w.write_all(format!("{answer}\n").as_bytes()).await.is_err() {
                    break;
                }
            }
            // Counted out only once its descriptor is closed.
            drop((lines, w));
            CONTROL_CONNS.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

fn answer(io: &SocketIo, app: &App, request: &str) -> String {
    let mut words = request.split_whitespace();
    match words.next() {
        Some("stats") => {
            let tasks = tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks();
            format!(
                "STATS sessions={} sockets={} fds={} rss_kib={} hwm_kib={} panics={} tasks={} \
                 lag_ms={} cpu_ms={} rec_seq={} \
                 cl_seq={} bulk_members={} bulk_sent={} received={}",
                io.engine().session_count(),
                io.sockets().socket_count(),
                soak::fd_count("self").saturating_sub(CONTROL_CONNS.load(Ordering::SeqCst)),
                soak::rss_kib("self"),
                soak::hwm_kib("self"),
                PANICS.load(Ordering::SeqCst),
                tasks,
                LAG_MS.swap(0, Ordering::SeqCst),
                soak::cpu_ms("self"),
                app.rec_seq.load(Ordering::SeqCst),
                app.cl_seq.load(Ordering::SeqCst),
                app.bulk_members.load(Ordering::SeqCst),
                app.bulk_sent.load(Ordering::SeqCst),
                app.received_total.load(Ordering::SeqCst),
            )
        }
        Some("received") => {
            let client = words.next().unwrap_or_default();
            let got = app.received.lock().unwrap();
            let (mut seqs, dups) = match got.get(client) {
                Some(m) => (
                    m.keys().copied().collect::<Vec<u64>>(),
                    m.values().map(|&c| u64::from(c) - 1).sum::<u64>(),
                ),
                None => (Vec::new(), 0),
            };
            seqs.sort_unstable();
            format!("RECEIVED ranges={} dups={dups}", soak::ranges(&seqs))
        }
        // Ends the process the way `main` returning would (exit handlers run, so a heap
        // profiler such as heaptrack writes what is still allocated); the soak's diagnosis
        // of where memory stays uses it.
        Some("exit") => std::process::exit(0),
        _ => "ERROR unknown request".to_owned(),
    }
}
