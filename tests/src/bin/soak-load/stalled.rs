//! Stalled readers: connections that stop reading (silent, or still answering pings).

use super::*;

// ---- stalled: readers that stop reading -----------------------------------------------------

/// `conns` WebSocket connections with a small receive buffer, joined to `/` and rooms `bulk`
/// and `g0` (the server broadcasts 64 KiB to `bulk` every 50 ms); each asks for `want-bulk` ×
/// 64 KiB more for itself (so that its buffers are full before the heartbeat runs out), then
/// never reads again. `silent`
/// ones never write either (the server's heartbeat must drop them); `pong` ones write a pong
/// every 2 s without reading (the heartbeat keeps them alive, their backlog grows). After
/// `hold` seconds (0: never) the process exits, and the kernel resets the connections (unread
/// data). Prints `STALLED ready=N failed=N` once all are stalled.
pub(crate) async fn stalled(o: Opts) {
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
