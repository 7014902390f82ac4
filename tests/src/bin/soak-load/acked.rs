//! Acked messages with retries from sio's client, through a proxy the soak cuts.

use super::*;

// ---- acked: sio's client with retries through a cut proxy ----------------------------------------

#[derive(Default)]
pub(crate) struct AckState {
    pub(crate) acked: Vec<u64>,
    pub(crate) failed: u64,
    /// The next `n` expected from room `rec`, once one was seen.
    pub(crate) next_n: Option<u64>,
    /// The connection was not recovered: the next gap is the new session's start.
    pub(crate) excused: bool,
    pub(crate) s2c_events: u64,
    pub(crate) s2c_lost: u64,
    pub(crate) s2c_dup: u64,
    pub(crate) s2c_unrecovered_gap: u64,
    pub(crate) connects: u64,
    pub(crate) recovered: u64,
    pub(crate) disconnects: u64,
}

/// `clients` sio clients (`sio_tokio::client`, `retries` + `ack_timeout`, reconnection after
/// 1 s) behind one `sio_tests::proxy::Proxy`, each sending `msg` (label, seq) with ack at
/// `rate` per second, in turn over WebSocket, long-polling and polling upgraded to WebSocket;
/// they are in room `rec` and count its numbered `n` events. Commands on stdin: `cut-on
/// PERIOD_MS DOWN_MS` (cut every connection every PERIOD_MS, the network then down for
/// DOWN_MS), `cut-off`, `finish` (stop sending, wait for what is in flight, compare with what
/// the server recorded, print `ACKED …` and exit).
pub(crate) async fn acked(o: Opts) {
    use sio_tokio::client::SocketConfig;
    use sio_tokio::TransportKind;

    let proxy = Arc::new(sio_tests::proxy::Proxy::start(o.addr.port()));
    let stop = Arc::new(AtomicBool::new(false));
    let pid = std::process::id();
    let mut clients = Vec::new();
    for i in 0..o.clients {
        let transports: &[TransportKind] = match i % 3 {
            0 => &[TransportKind::WebSocket],
            1 => &[TransportKind::Polling],
            _ => &[TransportKind::Polling, TransportKind::WebSocket],
        };
        // The server must notice a cut (and keep the session) before the client is back, or
        // the session starts afresh: a fixed second between attempts.
        let client = sio_tokio::client::client(&format!("{}/?rooms=rec", proxy.url()))
            .transports(transports)
            .reconnection_delay(Duration::from_millis(1000))
            .reconnection_delay_max(Duration::from_millis(1000))
            .randomization_factor(0.0)
            .build()
            .expect("client");
        let socket = client.socket_with_config(
            "/",
            SocketConfig {
                retries: 1_000_000,
                ack_timeout: Some(Duration::from_millis(1500)),
                ..SocketConfig::default()
            },
        );
        let st = Arc::new(Mutex::new(AckState::default()));
        let s = st.clone();
        socket.on("n", move |_, msg: sio_tokio::client::Message| {
            if let Ok(n) = msg.arg::<u64>(0) {
                let mut st = s.lock().unwrap();
                st.s2c_events += 1;
                match st.next_n {
                    Some(next) if n < next => st.s2c_dup += 1,
                    Some(next) if n > next => {
                        if st.excused {
                            st.s2c_unrecovered_gap += n - next;
                        } else {
                            st.s2c_lost += n - next;
                            eprintln!("soak-load acked: missed n {next}..{} (recovered)", n - 1);
                        }
                    }
                    _ => {}
                }
                st.excused = false;
                st.next_n = Some(st.next_n.map_or(n + 1, |x| x.max(n + 1)));
            }
            async {}
        });
        let s = st.clone();
        socket.on_connect(move |sock| {
            let mut st = s.lock().unwrap();
            st.connects += 1;
            if sock.recovered() {
                st.recovered += 1;
            } else {
                st.excused = true;
            }
            async {}
        });
        let s = st.clone();
        socket.on_disconnect(move |_, _| {
            s.lock().unwrap().disconnects += 1;
            async {}
        });
        socket.connect();
        let label = format!("a{i}-{pid}");
        let (s, stop) = (st.clone(), stop.clone());
        let period = Duration::from_secs_f64(1.0 / o.rate.max(0.1));
        let sock = socket.clone();
        let lbl = label.clone();
        let sender = tokio::spawn(async move {
            let mut seq = 0u64;
            while !stop.load(Ordering::SeqCst) {
                seq += 1;
                let r = sock.emit_with_ack("msg", &(&lbl, seq)).await;
                {
                    let mut st = s.lock().unwrap();
                    match r {
                        Ok(_) => st.acked.push(seq),
                        Err(_) => st.failed += 1,
                    }
                }
                sleep(period).await;
            }
        });
        clients.push((client, label, st, sender));
    }

    // Commands from the conductor, one a line.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut cutter: Option<tokio::task::JoinHandle<()>> = None;
    let cuts = Arc::new(AtomicU64::new(0));
    println!("ACKED_READY clients={}", o.clients);
    while let Some(cmd) = rx.recv().await {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        match words.as_slice() {
            ["cut-on", period, down] => {
                let period = Duration::from_millis(period.parse().unwrap_or(3000));
                let down: u64 = down.parse().unwrap_or(500);
                let (p, n) = (proxy.clone(), cuts.clone());
                cutter = Some(tokio::spawn(async move {
                    let mut rng = Rng::new(7);
                    loop {
                        sleep(period).await;
                        p.cut_for(Duration::from_millis(down / 2 + rng.below(down)));
                        n.fetch_add(1, Ordering::SeqCst);
                    }
                }));
            }
            ["cut-off"] => {
                if let Some(c) = cutter.take() {
                    c.abort();
                }
            }
            ["finish"] => break,
            _ => eprintln!("soak-load acked: unknown command {cmd:?}"),
        }
    }
    if let Some(c) = cutter.take() {
        c.abort();
    }
    stop.store(true, Ordering::SeqCst);
    // What is in flight gets its ack (or exhausts its retries) once the network is back.
    for (_, _, _, sender) in &mut clients {
        let _ = tokio::time::timeout(Duration::from_secs(30), sender).await;
    }
    // Events emitted up to now must all arrive: the tail is checked against the server's
    // count, after a moment for the last ones to travel.
    let stats = soak::kv(&soak::ctl(&o.ctl, "stats").unwrap_or_default());
    let last_n = soak::num(&stats, "rec_seq");
    sleep(Duration::from_secs(2)).await;
    let (mut acked_total, mut lost, mut dup, mut failed) = (0u64, 0u64, 0u64, 0u64);
    let mut totals = AckState::default();
    for (client, label, st, _) in &clients {
        let answer = soak::ctl(&o.ctl, &format!("received {label}")).unwrap_or_default();
        let got = soak::kv(&answer);
        let ranges = soak::parse_ranges(got.get("ranges").map_or("", String::as_str));
        let st = st.lock().unwrap();
        let missing: Vec<u64> = st
            .acked
            .iter()
            .copied()
            .filter(|&s| !soak::in_ranges(&ranges, s))
            .collect();
        if !missing.is_empty() {
            eprintln!(
                "soak-load acked: {label}: acked but never received by the server: {missing:?}"
            );
        }
        acked_total += st.acked.len() as u64;
        lost += missing.len() as u64;
        dup += soak::num(&got, "dups");
        failed += st.failed;
        let tail = st
            .next_n
            .map_or(0, |next| (last_n + 1).saturating_sub(next));
        if tail > 0 {
            eprintln!("soak-load acked: {label}: the last {tail} n events never arrived");
        }
        let transport = ["websocket", "polling", "polling+upgrade"][clients_kind(label)];
        println!(
            "ACKED_CLIENT label={label} transport={transport} acked={} connects={} recovered={} \
             s2c_unrecovered_gap={} s2c_lost={}",
            st.acked.len(),
            st.connects,
            st.recovered,
            st.s2c_unrecovered_gap,
            st.s2c_lost + tail
        );
        totals.s2c_events += st.s2c_events;
        totals.s2c_lost += st.s2c_lost + tail;
        totals.s2c_dup += st.s2c_dup;
        totals.s2c_unrecovered_gap += st.s2c_unrecovered_gap;
        totals.connects += st.connects;
        totals.recovered += st.recovered;
        totals.disconnects += st.disconnects;
        client.close();
    }
    println!(
        "ACKED acked={acked_total} lost={lost} dup={dup} failed={failed} cuts={} \
         proxy_conns={} s2c_events={} s2c_lost={} s2c_dup={} s2c_unrecovered_gap={} connects={} \
         recovered={} disconnects={}",
        cuts.load(Ordering::SeqCst),
        proxy.accepted(),
        totals.s2c_events,
        totals.s2c_lost,
        totals.s2c_dup,
        totals.s2c_unrecovered_gap,
        totals.connects,
        totals.recovered,
        totals.disconnects,
    );
}

/// The transport kind of acked client `a<i>-<pid>` (`i % 3`, as they were built).
pub(crate) fn clients_kind(label: &str) -> usize {
    label[1..]
        .split('-')
        .next()
        .and_then(|i| i.parse::<usize>().ok())
        .map_or(0, |i| i % 3)
}
