//! The conductor of the soak and fault-injection run: `bash tests/soak/run.sh [--quick]` builds
//! the binaries and runs `soak --bin-dir target/release --log-dir target/soak [--quick]`.
//!
//! It starts one `soak-server`, holds a steady population of connections on it with
//! `soak-load` processes, injects faults (churn, stalled readers, stopped processes, a cut
//! proxy under acked clients), measures what the server holds before and after, then runs the
//! clustered variant (two servers on Redis, Redis restarted). Phases and numbers are described
//! in `tests/soak/README.md`. The last line it prints is
//!
//! ```text
//! SOAK conns=N churned=N acked=N lost=N dup=N rss_start_kib=N rss_end_kib=N panics=N leaked_sockets=N
//! ```
//!
//! and it exits with 1 when `lost`, `panics` or `leaked_sockets` is above 0, `rss_end_kib` is
//! more than 10 % above `rss_start_kib`, or the cluster did not keep serving / resume its
//! broadcasts; with 2 when the harness itself could not do its part (a role that did not
//! report, a population that never formed).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::sleep;
use std::time::{Duration, Instant};

use sio_tests::soak::{self, TcpCensus};

type Report = HashMap<String, String>;

/// The knobs of one run (quick or full).
struct Plan {
    /// Seconds of fault injection.
    faults: u64,
    /// Seconds the clustered variant runs, and when Redis is restarted in it.
    cluster_secs: u64,
    restart_at: u64,
    /// Longest wait for the server to let go of everything once the clients are gone: more
    /// than the longest timer that may rightly hold a connection (hyper's 30 s header-read
    /// timeout on an idle keep-alive connection) plus the heartbeat (4 s).
    leak_wait: u64,
    /// Seconds between two waves of stalled readers.
    wave_every: u64,
}

/// One child process: its last report line of each kind, its stdin if it takes commands.
struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    last: Arc<Mutex<HashMap<String, Report>>>,
}

impl Proc {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its latest line starting with `word`, parsed.
    fn last(&self, word: &str) -> Option<Report> {
        self.last.lock().unwrap().get(word).cloned()
    }

    fn signal(&self, sig: &str) {
        let _ = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status();
    }

    fn command(&mut self, line: &str) {
        if let Some(s) = self.stdin.as_mut() {
            let _ = writeln!(s, "{line}");
            let _ = s.flush();
        }
    }

    /// Whether it has exited.
    fn exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits up to `secs` for its line starting with `word`.
    fn wait_for(&mut self, word: &str, secs: u64) -> Option<Report> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if let Some(r) = self.last(word) {
                return Some(r);
            }
            if self.exited() {
                sleep(Duration::from_millis(200));
                return self.last(word);
            }
            sleep(Duration::from_millis(100));
        }
        None
    }

    /// Kills it (a client gone: its kernel closes or resets its connections).
    fn kill(&mut self) {
        // A stopped process dies of SIGKILL too; CONT first would let it run a moment.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The soak server's jemalloc settings (see [`Conductor::spawn`]).
const SERVER_MALLOC: &str = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:1000";

struct Conductor {
    bin_dir: String,
    log_dir: String,
    started: Instant,
}

impl Conductor {
    fn spawn(&self, name: &str, bin: &str, args: &[String], stdin: bool) -> Proc {
        let err = std::fs::File::create(format!("{}/{name}.err", self.log_dir)).expect("log file");
        let mut cmd = Command::new(format!("{}/{bin}", self.bin_dir));
        if bin == "soak-server" {
            // jemalloc (the `jemalloc` feature) returns freed pages after a second of decay,
            // from a background thread even when the server is quiet.
            cmd.env("_RJEM_MALLOC_CONF", SERVER_MALLOC);
        }
        let mut child = cmd
            .args(args)
            .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
        let out = child.stdout.take().expect("stdout");
        let last: Arc<Mutex<HashMap<String, Report>>> = Arc::default();
        let l = last.clone();
        let log = format!("{}/{name}.out", self.log_dir);
        std::thread::spawn(move || {
            let mut file = std::fs::File::create(log).ok();
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if let Some(f) = file.as_mut() {
                    let _ = writeln!(f, "{line}");
                }
                let word = line.split_whitespace().next().unwrap_or("").to_owned();
                let mut r = soak::kv(&line);
                r.insert("_line".into(), line.clone());
                l.lock().unwrap().insert(word, r);
            }
        });
        Proc {
            stdin: child.stdin.take(),
            child,
            last,
        }
    }

    fn load(&self, name: &str, role: &str, args: &[&str]) -> Proc {
        let mut a: Vec<String> = vec!["--role".into(), role.into()];
        a.extend(args.iter().map(|s| s.to_string()));
        self.spawn(name, "soak-load", &a, role == "acked")
    }

    fn say(&self, what: &str) {
        println!("[{:>4}s] {what}", self.started.elapsed().as_secs());
    }
}

/// The server under test and how to ask it.
struct Server {
    proc: Proc,
    ctl: String,
}

impl Server {
    fn stats(&self) -> Option<Report> {
        soak::ctl(&self.ctl, "stats").ok().map(|l| soak::kv(&l))
    }
}

fn n(r: &Report, k: &str) -> u64 {
    soak::num(r, k)
}

fn brief(r: &Report) -> String {
    format!(
        "sessions={} sockets={} fds={} rss_kib={} tasks={} panics={} lag_ms={}",
        n(r, "sessions"),
        n(r, "sockets"),
        n(r, "fds"),
        n(r, "rss_kib"),
        n(r, "tasks"),
        n(r, "panics"),
        n(r, "lag_ms")
    )
}

/// The soft limit on open files, which every child inherits.
fn fd_limit() -> u64 {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(1024)
}

fn ips(from: u8, count: u8) -> String {
    (from..from + count)
        .map(|i| format!("127.0.0.{i}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn main() {
    let mut quick = false;
    let (mut bin_dir, mut log_dir) = ("target/release".to_owned(), "target/soak".to_owned());
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--quick" => quick = true,
            "--bin-dir" => bin_dir = it.next().expect("--bin-dir DIR"),
            "--log-dir" => log_dir = it.next().expect("--log-dir DIR"),
            other => panic!("unknown flag {other}"),
        }
    }
    std::fs::create_dir_all(&log_dir).expect("log dir");
    let plan = if quick {
        Plan {
            faults: 50,
            cluster_secs: 20,
            restart_at: 7,
            leak_wait: 40,
            wave_every: 15,
        }
    } else {
        Plan {
            faults: 420,
            cluster_secs: 60,
            restart_at: 25,
            leak_wait: 40,
            wave_every: 30,
        }
    };
    let c = Conductor {
        bin_dir,
        log_dir,
        started: Instant::now(),
    };
    std::process::exit(run(&c, &plan));
}

/// The final numbers; every field starts as "not measured".
#[derive(Default)]
struct Outcome {
    conns: u64,
    churned: u64,
    acked: u64,
    lost: u64,
    dup: u64,
    rss_start: u64,
    rss_end: u64,
    panics: u64,
    leaked: u64,
    /// Server problems beyond the SOAK line's numbers (the cluster not serving, …).
    failures: Vec<String>,
    /// The harness could not do its part.
    harness: Vec<String>,
}

fn run(c: &Conductor, plan: &Plan) -> i32 {
    let mut o = Outcome::default();
    main_phase(c, plan, &mut o);
    cluster_phase(c, plan, &mut o);
    let rss_ok = o.rss_end * 10 <= o.rss_start * 11;
    for f in &o.failures {
        println!("FAIL {f}");
    }
    for h in &o.harness {
        println!("HARNESS {h}");
    }
    if !rss_ok {
        println!(
            "FAIL rss_end_kib {} is {:.1} % above rss_start_kib {} (limit 10 %)",
            o.rss_end,
            (o.rss_end as f64 / o.rss_start.max(1) as f64 - 1.0) * 100.0,
            o.rss_start
        );
    }
    println!(
        "SOAK conns={} churned={} acked={} lost={} dup={} rss_start_kib={} rss_end_kib={} \
         panics={} leaked_sockets={}",
        o.conns, o.churned, o.acked, o.lost, o.dup, o.rss_start, o.rss_end, o.panics, o.leaked
    );
    if !o.harness.is_empty() {
        2
    } else if o.lost > 0 || o.panics > 0 || o.leaked > 0 || !rss_ok || !o.failures.is_empty() {
        1
    } else {
        0
    }
}

fn main_phase(c: &Conductor, plan: &Plan, o: &mut Outcome) {
    // ---- the server, and its baseline ----
    let mut proc = c.spawn("server", "soak-server", &[], false);
    let port_line = {
        // The reader thread stores lines by their first word.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(r) = proc.last("listening") {
                break r;
            }
            if Instant::now() > deadline || proc.exited() {
                o.harness.push("soak-server did not start".into());
                return;
            }
            sleep(Duration::from_millis(50));
        }
    };
    let words: Vec<String> = port_line["_line"]
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let port: u16 = words[1].parse().expect("port");
    let server = Server {
        ctl: format!("127.0.0.1:{}", words[3]),
        proc,
    };
    sleep(Duration::from_millis(300));
    let Some(baseline) = server.stats() else {
        o.harness.push("the control port does not answer".into());
        return;
    };
    let base_fds = n(&baseline, "fds");
    c.say(&format!(
        "server pid {} on port {port}: baseline {}",
        server.proc.pid(),
        brief(&baseline)
    ));

    // ---- the steady population ----
    let limit = fd_limit();
    // A polling connection holds two descriptors; leave room for churn, stalled readers, the
    // stopped processes and the server's own.
    let steady_total = 10_000u64.min(limit.saturating_sub(2_000) * 4 / 5);
    if steady_total < 1_000 {
        o.harness.push(format!(
            "open-file limit {limit}: too low for a soak (raise the hard limit to 14000 or more)"
        ));
        return;
    }
    if steady_total < 10_000 {
        c.say(&format!(
            "open-file limit {limit}: the steady population is {steady_total}, not 10000"
        ));
    }
    let addr = format!("127.0.0.1:{port}");
    let per = steady_total / 2;
    let mut steady: Vec<Proc> = (0..2u8)
        .map(|i| {
            let conns = if i == 0 { steady_total - per } else { per };
            c.load(
                &format!("steady{i}"),
                "steady",
                &[
                    "--addr",
                    &addr,
                    "--conns",
                    &conns.to_string(),
                    "--ws-share",
                    "0.8",
                    "--src",
                    &ips(2 + 2 * i, 2),
                ],
            )
        })
        .collect();
    let mut acked = c.load(
        "acked",
        "acked",
        &[
            "--addr",
            &addr,
            "--ctl",
            &server.ctl,
            "--clients",
            "3",
            "--rate",
            "20",
        ],
    );
    let t0 = Instant::now();
    let connected = |procs: &[Proc]| -> u64 {
        procs
            .iter()
            .map(|p| p.last("STEADY").map_or(0, |r| n(&r, "connected")))
            .sum()
    };
    let mut formed = false;
    while t0.elapsed() < Duration::from_secs(120) {
        sleep(Duration::from_secs(1));
        let up = connected(&steady);
        if t0.elapsed().as_secs().is_multiple_of(5) {
            c.say(&format!("populating: {up}/{steady_total} connected"));
        }
        if up >= steady_total {
            formed = true;
            break;
        }
    }
    if !formed {
        o.harness.push(format!(
            "the steady population did not form in 120 s ({} of {steady_total})",
            connected(&steady)
        ));
        return;
    }
    c.say(&format!(
        "{steady_total} steady connections in {:.1} s",
        t0.elapsed().as_secs_f64()
    ));
    // The acked clients are part of the population measured.
    let _ = acked.wait_for("ACKED_READY", 10);
    sleep(Duration::from_secs(3));
    let Some(start) = server.stats() else {
        o.failures
            .push("the server stopped answering after the population formed".into());
        return;
    };
    o.conns = n(&start, "sessions");
    o.rss_start = n(&start, "rss_kib");
    c.say(&format!("populated: {}", brief(&start)));
    c.say(&format!("tcp: {}", TcpCensus::read(port).line()));

    // ---- faults ----
    let mut churn = c.load(
        "churn",
        "churn",
        &["--addr", &addr, "--rate", "150", "--src", &ips(20, 10)],
    );
    acked.command("cut-on 3000 800");
    let victim = |name: &str, ip: u8, conns: &str| {
        c.load(
            name,
            "steady",
            &["--addr", &addr, "--conns", conns, "--src", &ips(ip, 1)],
        )
    };
    let mut v1 = victim("victim1", 10, "250");
    let mut v2 = Some(victim("victim2", 11, "250"));
    let mut v2_gen = 0;
    let mut waves: Vec<Proc> = Vec::new();
    let mut wave_n = 0;
    let mut v1_stopped = false;
    let faults_start = Instant::now();
    let mut last_cpu = n(&start, "cpu_ms");
    for t in 0..plan.faults {
        let due = faults_start + Duration::from_secs(t);
        if let Some(d) = due.checked_duration_since(Instant::now()) {
            sleep(d);
        }
        if t % plan.wave_every == 5 {
            wave_n += 1;
            // Silent ones get 512 KiB of their own on top of the room's bulk, so that their
            // socket buffers are full before the heartbeat gives up on them.
            for (mode, want) in [("silent", "8"), ("pong", "0")] {
                waves.push(c.load(
                    &format!("stalled-{mode}{wave_n}"),
                    "stalled",
                    &[
                        "--addr",
                        &addr,
                        "--conns",
                        "20",
                        "--mode",
                        mode,
                        "--want-bulk",
                        want,
                        "--hold",
                        "12",
                        "--src",
                        &ips(30, 2),
                    ],
                ));
            }
            c.say(&format!(
                "wave {wave_n}: 20 silent + 20 ponging stalled readers"
            ));
        }
        match t % 30 {
            8 => {
                v1.signal("STOP");
                v1_stopped = true;
                c.say("victim1 (250 connections) stopped");
            }
            18 => {
                v1.signal("CONT");
                v1_stopped = false;
                c.say("victim1 continued");
            }
            _ => {}
        }
        match t % 40 {
            12 => {
                if let Some(v) = &v2 {
                    v.signal("STOP");
                    c.say("victim2 (250 connections) stopped");
                }
            }
            18 => {
                if let Some(mut v) = v2.take() {
                    v.kill();
                    c.say("victim2 killed while stopped");
                }
            }
            22 => {
                v2_gen += 1;
                v2 = Some(victim(&format!("victim2-{v2_gen}"), 11, "250"));
            }
            _ => {}
        }
        waves.retain_mut(|w| !w.exited());
        if t % 5 == 4 {
            let s = server.stats();
            let ch = churn.last("CHURN").unwrap_or_default();
            let cpu = s.as_ref().map_or(0, |s| n(s, "cpu_ms"));
            c.say(&format!(
                "faults +{:>3}s: {} | server_cpu={:.0}% load={:.1} churned={} failed={} steady={}",
                t + 1,
                s.as_ref().map_or("server not answering".into(), brief),
                cpu.saturating_sub(last_cpu) as f64 / 50.0,
                soak::load_avg(),
                n(&ch, "churned"),
                n(&ch, "failed"),
                connected(&steady)
            ));
            last_cpu = cpu;
        }
    }
    acked.command("cut-off");
    let ch = churn.last("CHURN").unwrap_or_default();
    churn.kill();
    o.churned = n(&ch, "churned");
    c.say(&format!(
        "faults over: churned {} ({:.0}/s), failed {}, last error {}",
        o.churned,
        o.churned as f64 / plan.faults as f64,
        n(&ch, "failed"),
        ch.get("last_error").map_or("-", String::as_str)
    ));
    if v1_stopped {
        v1.signal("CONT");
    }
    v1.kill();
    drop(v2);
    for mut w in waves.drain(..) {
        w.kill();
    }

    // ---- settle, and measure again at the same population ----
    let settle_start = Instant::now();
    let mut end = None;
    while settle_start.elapsed() < Duration::from_secs(40) {
        sleep(Duration::from_secs(1));
        let Some(s) = server.stats() else { continue };
        let same = n(&s, "sessions") == n(&start, "sessions")
            && n(&s, "sockets") == n(&start, "sockets")
            && connected(&steady) == steady_total;
        // The log of emitted events that recovery keeps (10 s) must have forgotten the bulk.
        if same && settle_start.elapsed() >= Duration::from_secs(12) {
            end = Some(s);
            break;
        }
    }
    let end = match end {
        Some(s) => s,
        None => {
            let s = server.stats().unwrap_or_default();
            c.say(&format!(
                "the population did not come back to where it was (steady {} of {steady_total}): \
                 measuring anyway",
                connected(&steady)
            ));
            s
        }
    };
    o.rss_end = n(&end, "rss_kib");
    c.say(&format!("after the faults: {}", brief(&end)));
    println!(
        "RSS start_kib={} end_kib={} peak_kib={} (VmHWM: the most the server ever had resident)",
        o.rss_start,
        o.rss_end,
        n(&end, "hwm_kib")
    );
    c.say(&format!(
        "server descriptors: {}",
        soak::fd_summary(&server.proc.pid().to_string(), port)
    ));
    c.say(&format!("tcp: {}", TcpCensus::read(port).line()));

    // ---- every client goes, but stalled and stopped peers that hold their connections ----
    let mut last_stalled = c.load(
        "stalled-final",
        "stalled",
        &[
            "--addr",
            &addr,
            "--conns",
            "20",
            "--mode",
            "silent",
            "--want-bulk",
            "8",
            "--src",
            &ips(30, 2),
        ],
    );
    let mut v3 = victim("victim3", 12, "100");
    let _ = last_stalled.wait_for("STALLED", 30);
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(20)
        && v3.last("STEADY").map_or(0, |r| n(&r, "connected")) < 100
    {
        sleep(Duration::from_millis(200));
    }
    sleep(Duration::from_secs(2));
    v3.signal("STOP");
    c.say("20 silent stalled readers hold their connections; victim3 (100) stopped");
    acked.command("finish");
    match acked.wait_for("ACKED", 90) {
        Some(r) => {
            o.acked = n(&r, "acked");
            o.lost += n(&r, "lost") + n(&r, "s2c_lost");
            o.dup = n(&r, "dup");
            c.say(&format!("acked clients: {}", r["_line"]));
            let out = std::fs::read_to_string(format!("{}/acked.out", c.log_dir));
            for line in out.unwrap_or_default().lines() {
                if line.starts_with("ACKED_CLIENT") {
                    c.say(line);
                }
            }
        }
        None => o.harness.push("the acked clients did not report".into()),
    }
    acked.kill();
    for mut s in steady.drain(..) {
        s.kill();
    }
    c.say("steady population and acked clients gone");
    let gone = Instant::now();
    let mut held = server.stats().unwrap_or_default();
    while gone.elapsed() < Duration::from_secs(plan.leak_wait) {
        sleep(Duration::from_secs(1));
        let Some(s) = server.stats() else { continue };
        held = s;
        if n(&held, "sessions") == 0 && n(&held, "sockets") == 0 && n(&held, "fds") <= base_fds {
            break;
        }
    }
    let census = TcpCensus::read(port);
    let leaked_fds = n(&held, "fds").saturating_sub(base_fds);
    o.leaked = n(&held, "sessions")
        .max(n(&held, "sockets"))
        .max(leaked_fds);
    c.say(&format!(
        "{:.0} s after the clients went: {} (fds {leaked_fds} above the baseline {base_fds})",
        gone.elapsed().as_secs_f64(),
        brief(&held)
    ));
    c.say(&format!("tcp: {}", census.line()));
    c.say(&format!(
        "server descriptors: {}",
        soak::fd_summary(&server.proc.pid().to_string(), port)
    ));
    println!(
        "LEAK sessions={} sockets={} fds_over_baseline={leaked_fds} tasks={} (baseline tasks={}) \
         server_established={} server_close_wait={} server_send_q={} \
         stalled_and_stopped_peers_established={}",
        n(&held, "sessions"),
        n(&held, "sockets"),
        n(&held, "tasks"),
        n(&baseline, "tasks"),
        census.server.get("ESTABLISHED").copied().unwrap_or(0),
        census.server.get("CLOSE_WAIT").copied().unwrap_or(0),
        census.server_send_q,
        census.client.get("ESTABLISHED").copied().unwrap_or(0),
    );

    // ---- the stalled and stopped peers go too ----
    last_stalled.kill();
    v3.kill();
    let t = Instant::now();
    let mut after = server.stats().unwrap_or_default();
    while t.elapsed() < Duration::from_secs(10) {
        sleep(Duration::from_secs(1));
        let Some(s) = server.stats() else { continue };
        after = s;
        if n(&after, "sessions") == 0 && n(&after, "sockets") == 0 && n(&after, "fds") <= base_fds {
            break;
        }
    }
    println!(
        "LEAK_AFTER_EXIT {} fds_over_baseline={} tcp: {}",
        brief(&after),
        n(&after, "fds").saturating_sub(base_fds),
        TcpCensus::read(port).line()
    );
    match server.stats() {
        Some(s) => o.panics += n(&s, "panics"),
        None => o
            .failures
            .push("the server died (see target/soak/server.err)".into()),
    }
}

fn cluster_phase(c: &Conductor, plan: &Plan, o: &mut Outcome) {
    c.say("cluster: two soak servers on Redis, Redis restarted mid-run");
    let mut p = c.load(
        "cluster",
        "cluster",
        &[
            "--server-bin",
            &format!("{}/soak-server", c.bin_dir),
            "--secs",
            &plan.cluster_secs.to_string(),
            "--restart-at",
            &plan.restart_at.to_string(),
            "--down-ms",
            "2000",
        ],
    );
    match p.wait_for("CLUSTER", plan.cluster_secs + 90) {
        Some(r) => {
            c.say(&format!("cluster: {}", r["_line"]));
            o.lost += n(&r, "lost");
            o.panics += n(&r, "panics");
            o.leaked += n(&r, "leaked");
            if r.get("resumed").map(String::as_str) != Some("true") {
                o.failures
                    .push("cluster broadcasts did not resume after the Redis restart".into());
            }
            if r.get("served_during_outage").map(String::as_str) != Some("2/2") {
                o.failures
                    .push("a cluster server did not serve while Redis was down".into());
            }
        }
        None => o.harness.push("the cluster phase did not report".into()),
    }
}
