//! Bad-input rows: what only long-polling or only WebSocket can carry, session ids, and the
//! transport, protocol version and method of a request.

use super::super::*;

/// Transport-specific inputs, session ids, transport, version and method.
pub(super) fn rows() -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();

    // --- polling only --------------------------------------------------------------------
    let prow = |name: &'static str, what: &str, bodies: Vec<Body>, reference: &'static str| {
        let shown: Vec<String> = bodies
            .iter()
            .map(|(b, _)| show(&F::Raw(b.clone())))
            .collect();
        Row::new(
            name,
            "polling",
            format!("{} {what}", shown.join(" then ")),
            reference,
            polling_run(bodies),
        )
    };
    let invalid_utf8 = [&br#"42["echo",""#[..], &[0xff], br#""]"#].concat();
    rows.extend([
        prow(
            "eio-close-then-more",
            "(close, then more in the same payload)",
            vec![(b"1\x1e42[\"echo\",1]".to_vec(), vec![])],
            r#"post 200 html ok; gone 400 json {"code":1,"message":"Session ID unknown"}; reason transport close"#,
        ),
        prow(
            "eio-bad-record-after-good",
            "(a good record, then a bad one)",
            vec![(b"42[\"echo\",1]\x1e9".to_vec(), vec![])],
            P_PARSE,
        ),
        prow(
            "eio-trailing-separator",
            "(a record separator at the end)",
            vec![(b"42[\"echo\",1]\x1e".to_vec(), vec![])],
            P_PARSE,
        ),
        prow(
            "eio-separator-only",
            "(a record separator alone)",
            vec![(b"\x1e".to_vec(), vec![])],
            P_PARSE,
        ),
        prow(
            "post-octet-stream",
            "with `Content-Type: application/octet-stream`",
            vec![(b"42".to_vec(), vec![("Content-Type", "application/octet-stream")])],
            r#"post 400 -; gone 400 json {"code":1,"message":"Session ID unknown"}; reason transport error"#,
        ),
        prow("post-invalid-utf8", "(invalid UTF-8 in the body)", vec![(invalid_utf8.clone(), vec![])], P_OPEN).sio(
            P_PARSE,
            "sio refuses invalid UTF-8 in a payload (an Engine.IO parse error, payload.rs) as a WebSocket text frame with it is refused (1007); the reference replaces it with U+FFFD and goes on",
        ),
        prow(
            "post-over-max-payload",
            "(1 000 001-byte body, max payload 1 000 000)",
            vec![(format!("4{}", "a".repeat(1_000_000)).into_bytes(), vec![])],
            "post 413 -; open; reason -",
        ),
    ]);

    // --- WebSocket only ------------------------------------------------------------------
    let wrow = |name: &'static str, what: &str, frames: Vec<F>, reference: &'static str| {
        let shown: Vec<String> = frames.iter().map(show).collect();
        Row::new(
            name,
            "websocket",
            format!("{} {what}", shown.join(" then ")),
            reference,
            ws_run(frames),
        )
    };
    rows.extend([
        wrow(
            "ws-record-separator",
            "(`\\x1e` is no separator on a WebSocket)",
            vec![t("42[\"echo\",1]\x1e42[\"echo\",2]")],
            W_FORCED,
        ),
        wrow(
            "ws-frame-over-max-payload",
            "(1 000 001-byte frame, max payload 1 000 000)",
            vec![F::Text(format!("4{}", "a".repeat(1_000_000)))],
            "close 1009; reason transport error",
        ),
        wrow(
            "ws-invalid-utf8",
            "(invalid UTF-8 in a text frame)",
            vec![F::Raw(invalid_utf8)],
            "close 1007; reason transport error",
        ),
        wrow(
            "ws-binary-no-pending",
            "(binary frame, no attachment pending)",
            vec![F::Bin(vec![1, 2, 3])],
            W_FORCED,
        ),
    ]);

    // --- session ids ---------------------------------------------------------------------
    rows.push(Row::new(
        "sid-unknown-get",
        "",
        "GET with `sid=nope`",
        SID_UNKNOWN,
        |fx, _| request(fx.port, "GET", &polling_url("x", "&sid=nope"), &[], b"").notation(),
    ));
    rows.push(Row::new(
        "sid-unknown-post",
        "",
        "POST with `sid=nope`",
        SID_UNKNOWN,
        |fx, _| {
            request(
                fx.port,
                "POST",
                &polling_url("x", "&sid=nope"),
                &[],
                br#"42["echo",1]"#,
            )
            .notation()
        },
    ));
    rows.push(Row::new(
        "sid-forged",
        "",
        "GET with a random 20-character sid",
        SID_UNKNOWN,
        |fx, _| {
            let mut x = std::time::SystemTime::UNIX_EPOCH
                .elapsed()
                .unwrap()
                .as_nanos() as u64
                | 1;
            let sid: String = (0..20)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                        [(x % 64) as usize] as char
                })
                .collect();
            request(
                fx.port,
                "GET",
                &polling_url("x", &format!("&sid={sid}")),
                &[],
                b"",
            )
            .notation()
        },
    ));
    rows.push(Row::new(
        "sid-unknown-ws",
        "",
        "WebSocket upgrade with `sid=nope`",
        "400 html Session ID unknown",
        |fx, _| {
            upgrade(
                fx.port,
                "/socket.io/?EIO=4&transport=websocket&sid=nope",
                &[],
            )
        },
    ));
    rows.push(Row::new(
        "sid-expired",
        "",
        "GET with the sid of a session closed before",
        SID_UNKNOWN,
        |fx, tag| {
            let p = Polling::joined(fx.port, tag);
            p.post(b"1", &[]);
            reason_of(&fx.reasons, &p.socket, REASON_WAIT);
            p.get().notation()
        },
    ));
    rows.push(Row::new(
        "sid-polling-as-ws-no-upgrade",
        "",
        "GET `transport=websocket` with a polling sid, no upgrade headers",
        r#"400 json {"code":3,"message":"Bad request"}; session open"#,
        |fx, tag| {
            let p = Polling::joined(fx.port, tag);
            let url = format!("/socket.io/?EIO=4&transport=websocket&sid={}", p.sid);
            let a = request(fx.port, "GET", &url, &[], b"");
            format!("{}; session {}", a.notation(), p.state())
        },
    ));
    rows.push(Row::new(
        "sid-ws-on-polling",
        "",
        "GET `transport=polling` with a WebSocket session's sid",
        r#"400 json {"code":3,"message":"Bad request"}; session open; reason -"#,
        |fx, tag| {
            let c = Ws::joined(fx.port, tag);
            let a = request(
                fx.port,
                "GET",
                &polling_url(tag, &format!("&sid={}", c.sid)),
                &[],
                b"",
            );
            let socket = c.socket.clone();
            format!(
                "{}; session {}",
                a.notation(),
                c.state(&fx.reasons, &socket)
            )
        },
    ));

    // --- transport, protocol version, method -------------------------------------------
    let get = |name: &'static str, target: &'static str, reference: &'static str| {
        Row::new(
            name,
            "",
            format!("GET `{target}`"),
            reference,
            move |fx, _| request(fx.port, "GET", target, &[], b"").notation(),
        )
    };
    rows.extend([
        get(
            "transport-flash",
            "/socket.io/?EIO=4&transport=flash",
            TRANSPORT_UNKNOWN,
        ),
        get("transport-missing", "/socket.io/?EIO=4", TRANSPORT_UNKNOWN),
        get(
            "eio-version-missing",
            "/socket.io/?transport=polling",
            BAD_VERSION,
        ),
        get(
            "eio-version-3",
            "/socket.io/?EIO=3&transport=polling",
            BAD_VERSION,
        ),
        get(
            "eio-version-5",
            "/socket.io/?EIO=5&transport=polling",
            BAD_VERSION,
        ),
        get(
            "eio-version-abc",
            "/socket.io/?EIO=abc&transport=polling",
            BAD_VERSION,
        ),
    ]);
    let ws_up = |name: &'static str,
                 what: &str,
                 target: &'static str,
                 overrides: &'static [(&'static str, Option<&'static str>)],
                 reference: &'static str| {
        Row::new(name, "", what, reference, move |fx, _| {
            upgrade(fx.port, target, overrides)
        })
    };
    const WS: &str = "/socket.io/?EIO=4&transport=websocket";
    rows.extend([
        ws_up("transport-flash-ws", "WebSocket upgrade with `transport=flash`", "/socket.io/?EIO=4&transport=flash", &[], "400 html Transport unknown"),
        ws_up(
            "eio-version-missing-ws",
            "WebSocket upgrade without `EIO`",
            "/socket.io/?transport=websocket",
            &[],
            "101 then 400 html Unsupported protocol version",
        )
        .sio(
            "400 html Unsupported protocol version",
            "the reference completes the handshake and then writes an HTTP answer onto the WebSocket (a quirk no client can read); sio refuses the upgrade",
        ),
        ws_up("ws-key-missing", "WebSocket upgrade without `Sec-WebSocket-Key`", WS, &[("Sec-WebSocket-Key", None)], "400 html Missing or invalid Sec-WebSocket-Key header"),
        ws_up("ws-key-short", "WebSocket upgrade, `Sec-WebSocket-Key: abc`", WS, &[("Sec-WebSocket-Key", Some("abc"))], "400 html Missing or invalid Sec-WebSocket-Key header"),
        ws_up(
            "ws-key-not-base64",
            "WebSocket upgrade, key of 24 characters not base64",
            WS,
            &[("Sec-WebSocket-Key", Some("!!!!!!!!!!!!!!!!!!!!!!=="))],
            "400 html Missing or invalid Sec-WebSocket-Key header",
        ),
        ws_up("ws-version-12", "WebSocket upgrade, `Sec-WebSocket-Version: 12`", WS, &[("Sec-WebSocket-Version", Some("12"))], "400 html Missing or invalid Sec-WebSocket-Version header"),
        ws_up("ws-version-missing", "WebSocket upgrade without `Sec-WebSocket-Version`", WS, &[("Sec-WebSocket-Version", None)], "400 html Missing or invalid Sec-WebSocket-Version header"),
    ]);
    rows.push(Row::new(
        "method-put-handshake",
        "",
        "PUT handshake",
        r#"400 json {"code":2,"message":"Bad handshake method"}"#,
        |fx, _| {
            request(
                fx.port,
                "PUT",
                "/socket.io/?EIO=4&transport=polling",
                &[],
                b"",
            )
            .notation()
        },
    ));
    rows.push(Row::new(
        "method-put-sid",
        "",
        "PUT on a polling session",
        "500 -; session open",
        |fx, tag| {
            let p = Polling::joined(fx.port, tag);
            let a = request(fx.port, "PUT", &p.url, &[], br#"42["echo",1]"#);
            format!("{}; session {}", a.notation(), p.state())
        },
    ));
    rows.push(Row::new(
        "get-overlap",
        "",
        "a second GET while one is parked",
        "overlapping 400 -; parked 200 text 1; reason transport error",
        |fx, tag| {
            let p = Arc::new(Polling::joined(fx.port, tag));
            let first = std::thread::spawn({
                let p = p.clone();
                move || p.get()
            });
            // Most likely parked by then; the answers are told apart by their status anyway.
            std::thread::sleep(Duration::from_millis(200));
            let second = p.get();
            let first = first.join().unwrap();
            let (overlapping, parked) = if first.status == 400 {
                (first, second)
            } else {
                (second, first)
            };
            format!(
                "overlapping {}; parked {}; reason {}",
                overlapping.notation(),
                parked.notation(),
                reason_of(&fx.reasons, &p.socket, REASON_WAIT)
            )
        },
    ));
    rows
}
