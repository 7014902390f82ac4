//! Churn: connections opened and ended every way a client can end one.

use super::*;

// ---- churn: connections that come and go, many of them badly -----------------------------------

/// The ways a churned connection ends.
pub(crate) const KINDS: [&str; 11] = [
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
pub(crate) struct ChurnCounts {
    pub(crate) started: AtomicU64,
    pub(crate) churned: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) by_kind: [AtomicU64; KINDS.len()],
    pub(crate) last_error: Mutex<String>,
}

/// Starts `rate` churned connections per second, each of a kind of [`KINDS`] in turn, living
/// 50–1500 ms. Prints `CHURN started=N churned=N failed=N …` every second; `churned` counts
/// those that got as far as their kind meant them to.
pub(crate) async fn churn(o: Opts) {
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

pub(crate) async fn churn_one(
    kind: usize,
    src: Ipv4Addr,
    dst: SocketAddr,
    life: Duration,
) -> io::Result<()> {
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
