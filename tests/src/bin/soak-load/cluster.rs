//! The clustered variant: two soak servers on Redis, Redis restarted mid-run.

use super::*;

// ---- cluster: two servers, Redis restarted under them -------------------------------------------

/// What one cluster client saw of one origin server's `c` events.
#[derive(Default, Clone)]
pub(crate) struct Origin {
    pub(crate) last: Option<(u64, u64)>,
    pub(crate) events: u64,
    /// Gaps as (last seq before, its time, next seq after, its time).
    pub(crate) gaps: Vec<(u64, u64, u64, u64)>,
    pub(crate) dup: u64,
    /// Time of the first event received after Redis came back.
    pub(crate) first_after_back: Option<u64>,
}

/// Two soak servers (`--server-bin`) with the Redis adapter on one `redis-server`
/// (`sio_tests::redis`), each emitting numbered `c` events to room `cl` of the cluster every
/// 100 ms; two clients on each count them per origin. At `restart-at` seconds Redis is killed
/// and started again `down-ms` later; meanwhile a fresh client on each server must get an
/// ack. A gap in the events of the other server that spans the outage (from the last event
/// before the kill to the first after it) is `redis_gap`; any other gap, and any event of
/// either server not received by the end, is `lost`. Prints `CLUSTER …`.
pub(crate) async fn cluster(o: Opts) {
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
