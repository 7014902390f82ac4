//! The steady population: long-lived WebSocket and long-polling connections, lightly active.

use super::*;

// ---- steady: a population that stays -----------------------------------------------------------

#[derive(Default)]
pub(crate) struct SteadyCounts {
    pub(crate) connected: AtomicU64,
    pub(crate) connects: AtomicU64,
    pub(crate) failures: AtomicU64,
    pub(crate) events: AtomicU64,
    pub(crate) light_sent: AtomicU64,
    pub(crate) light_acked: AtomicU64,
}

/// `conns` connections (a `ws_share` of them WebSocket, the rest long-polling), each joined to
/// `/` and rooms `all` and `g<k>`; each answers pings, one in ten sends a `light` event with
/// ack every 5 s; a connection that ends is opened again after about a second. Prints
/// `STEADY connected=N target=N …` every second.
pub(crate) async fn steady(o: Opts) {
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
pub(crate) struct Connected<'a>(&'a AtomicU64);

impl Drop for Connected<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

pub(crate) fn connected(c: &SteadyCounts) -> Connected<'_> {
    c.connected.fetch_add(1, Ordering::Relaxed);
    c.connects.fetch_add(1, Ordering::Relaxed);
    Connected(&c.connected)
}

pub(crate) async fn steady_ws(
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
    let light = id.is_multiple_of(10);
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

pub(crate) async fn steady_polling(
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
