//! Bad-input rows: sessions misused over time: upgrades gone wrong, attachments never sent,
//! a bad packet after CONNECT, a dynamic-namespace flood, slowloris and half-open clients.

use super::super::*;

/// Sessions misused over time.
pub(super) fn rows() -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();

    // --- upgrades gone wrong: a joined polling session, a WebSocket with its sid --------
    for (name, frames, reference) in [
        (
            "upgrade-probe-then-message",
            &["2probe", r#"42["echo",1]"#][..],
            "recv 3probe; close 1005; polling open",
        ),
        (
            "upgrade-probe-then-close",
            &["2probe", "1"][..],
            "recv 3probe; close 1005; polling open",
        ),
        (
            "upgrade-ping-without-probe",
            &["2"][..],
            "close 1005; polling open",
        ),
        (
            "upgrade-without-probe",
            &["5"][..],
            "ws open; on websocket open; reason -",
        ),
    ] {
        let shown: Vec<String> = frames.iter().map(|f| show(&t(f))).collect();
        rows.push(Row::new(
            name,
            "",
            format!("upgrade WebSocket: {}", shown.join(" then ")),
            reference,
            move |fx, tag| {
                let p = Polling::joined(fx.port, tag);
                let url = ws_url(fx.port, tag, &format!("&sid={}", p.sid));
                let mut c = Ws::connect(&url, false).unwrap_or_else(|e| panic!("{e}"));
                for f in frames {
                    c.send_text(f);
                }
                if frames.last() == Some(&"5") {
                    // Upgraded without a probe (the reference allows it): check it there.
                    let summary = c.summary();
                    format!(
                        "{summary}; on websocket {}",
                        c.state(&fx.reasons, &p.socket)
                    )
                } else {
                    c.wait_closed(Duration::from_secs(3));
                    let summary = c.summary();
                    if c.closed.is_none() {
                        c.close();
                    }
                    format!("{summary}; polling {}", p.state())
                }
            },
        ));
    }

    // --- attachments announced and never sent ------------------------------------------
    rows.push(Row::new(
        "attachments-never-sent",
        "",
        format!("`452-[\"echo\",{PH0},{PH1}]` then one attachment, then silence (1 s), then close"),
        "quiet 1 s: socket connected; client closes: reason transport close; socket removed",
        |fx, tag| {
            let mut c = Ws::joined(fx.port, tag);
            c.send_text(&format!(r#"452-["echo",{PH0},{PH1}]"#));
            c.send_binary(&[1]);
            let _ = c.next(|_| false, Duration::from_secs(1));
            let socket = fx
                .sockets
                .lock()
                .unwrap()
                .get(&c.socket)
                .cloned()
                .expect("socket");
            let still = socket.connected();
            c.close();
            let reason = reason_of(&fx.reasons, socket.id().as_str(), REASON_WAIT);
            format!(
                "quiet 1 s: {}; client closes: reason {reason}; {}",
                if still {
                    "socket connected"
                } else {
                    "socket gone"
                },
                if socket.connected() {
                    "socket kept"
                } else {
                    "socket removed"
                }
            )
        },
    ));

    // --- a bad packet right after the CONNECT reply -------------------------------------
    rows.push(
        Row::new(
            "bad-packet-right-after-connect",
            "",
            "4 connections × 1000 times: join `/`, then at once `40dyn-3,{}`; what each connection handler saw",
            "4000 closed (forced close); every connection handler saw its handshake",
            |fx, tag| {
                let before = fx.no_handshake.load(Ordering::Relaxed);
                let threads: Vec<_> = (0..4)
                    .map(|k| {
                        let (port, reasons, tag) = (fx.port, fx.reasons.clone(), tag.to_owned());
                        std::thread::spawn(move || {
                            let mut closed = 0;
                            for i in 0..1000 {
                                let mut c = Ws::joined(port, &format!("{tag}-{k}-{i}"));
                                c.send_text("40dyn-3,{}");
                                let socket = c.socket.clone();
                                if c.wait_closed(Duration::from_secs(5)).is_some()
                                    && reason_of(&reasons, &socket, REASON_WAIT) == "forced close"
                                {
                                    closed += 1;
                                }
                            }
                            closed
                        })
                    })
                    .collect();
                let closed: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
                let missing = fx.no_handshake.load(Ordering::Relaxed) - before;
                let seen = if missing == 0 {
                    "every connection handler saw its handshake".to_owned()
                } else {
                    format!("{missing} connection handlers found no handshake")
                };
                format!("{closed} closed (forced close); {seen}")
            },
        )
        .class(Class::Alone)
    );

    // --- dynamic-namespace flood ---------------------------------------------------------
    rows.push(
        Row::new(
            "dyn-namespace-flood",
            "",
            "100 000 CONNECTs to new `/dyn-<n>` namespaces (each left once accepted), from 4 connections",
            "100000 accepted",
            |fx, _| {
                let before = rss();
                let answer = flood(fx.port, 0);
                if let (Some(b), Some(a)) = (before, rss()) {
                    println!(
                        "{}: dyn-namespace-flood: resident memory {:+.1} MiB",
                        fx.driver,
                        (a as f64 - b as f64) / 1048576.0
                    );
                }
                answer
            },
        )
        .class(Class::Alone)
        .note("the reference keeps every namespace by default (145 MiB of heap for these 100 000; 2 MiB with `cleanupEmptyChildNamespaces`)"),
    );
    rows.push(
        Row::new(
            "dyn-namespace-memory",
            "",
            "another 100 000 CONNECTs to new `/dyn-<n>`: resident memory growth",
            "grew 145 MiB (heap; bounded with `cleanupEmptyChildNamespaces`)",
            |fx, _| {
                // The first flood warms the allocator up; the second must not keep growing.
                let _ = flood(fx.port, 200_000);
                let before = rss().unwrap_or(0);
                let answer = flood(fx.port, 400_000);
                let grew = rss().unwrap_or(0).saturating_sub(before);
                if answer != "100000 accepted" {
                    return answer;
                }
                if grew < 16 << 20 {
                    "bounded (< 16 MiB)".to_owned()
                } else {
                    format!("grew {} MiB", grew >> 20)
                }
            },
        )
        .class(Class::Alone)
        .sio(
            "bounded (< 16 MiB)",
            "the reference keeps every namespace unless `cleanupEmptyChildNamespaces` is set (then it grows ~2 MiB); a server must not grow without bound on what clients ask",
        )
    );

    // --- slowloris, half-open -----------------------------------------------------------
    rows.push(
        Row::new(
            "slowloris",
            "",
            "request head sent one byte per second, never finished",
            "closed at the header timeout with 408",
            |fx, _| slowloris(fx.port),
        )
        .sio(
            "closed at the header timeout (30 s), no answer",
            "hyper's header_read_timeout (30 s, not configurable through the drivers) closes the connection without a 408; Node waits 60 s (headersTimeout, checked every 30 s) and answers 408",
        )
        .class(Class::Long),
    );
    rows.push(
        Row::new(
            "half-open-ws",
            "",
            "WebSocket joined, then silent without FIN (pings unanswered); ping interval 300 ms, timeout 1000 ms",
            "reason ping timeout after ~1300 ms",
            |fx, tag| half_open(fx, tag, true),
        )
        .heartbeat()
        .class(Class::Long),
    );
    rows.push(
        Row::new(
            "half-open-polling",
            "",
            "polling joined, then no more requests; ping interval 300 ms, timeout 1000 ms",
            "reason ping timeout after ~1300 ms",
            |fx, tag| half_open(fx, tag, false),
        )
        .heartbeat()
        .class(Class::Long),
    );
    rows
}
