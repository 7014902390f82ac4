//! The rows of the bad-input table: each bad input, the reference's answer and sio's (with
//! the reason where they differ on purpose). The harness that runs them is the parent file.

use super::*;

/// Every row, both transports where both apply.
pub(super) fn rows() -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    let mut add = |b: Both| rows.extend(b.rows());

    // --- Engine.IO packets, after joining `/` -------------------------------------------
    add(both(
        "eio-type-9",
        "(unknown Engine.IO type)",
        &["9"],
        P_PARSE,
        W_PARSE,
    ));
    add(both(
        "eio-type-letter",
        "(unknown Engine.IO type)",
        &["x"],
        P_PARSE,
        W_PARSE,
    ));
    add(both(
        "eio-empty",
        "(empty Engine.IO packet)",
        &[""],
        P_PARSE,
        W_PARSE,
    ));
    add(both(
        "eio-b-bad-base64",
        "(binary message, bad base64)",
        &["b!!!!"],
        P_FORCED,
        W_FORCED,
    )
    .sio(
        P_PARSE,
        W_PARSE,
        "sio's base64 decoder refuses what is not base64 (an Engine.IO parse error); Node's decodes `!!!!` to no bytes, which then fails as an unexpected attachment",
    ));
    add(both(
        "eio-b-no-pending",
        "(binary message, no attachment pending)",
        &["bAQID"],
        P_FORCED,
        W_FORCED,
    )
    .forced());
    add(both(
        "eio-open",
        "(open packet from the client)",
        &["0"],
        P_OPEN,
        W_OPEN,
    ));
    add(both(
        "eio-open-json",
        "(open packet with data from the client)",
        &[r#"0{"sid":"x"}"#],
        P_OPEN,
        W_OPEN,
    ));
    add(both(
        "eio-close",
        "(close packet from the client)",
        &["1"],
        r#"post 200 html ok; gone 400 json {"code":1,"message":"Session ID unknown"}; reason transport close"#,
        W_OPEN,
    )
    .note("the reference ignores a close packet on a WebSocket (the client closes the socket itself)"));
    add(both(
        "eio-ping",
        "(ping from the client: v3 heartbeat direction)",
        &["2"],
        r#"post 200 html ok; gone 400 json {"code":1,"message":"Session ID unknown"}; reason transport error"#,
        "close 1005; reason transport error",
    ));
    add(both(
        "eio-pong",
        "(pong without a ping)",
        &["3"],
        P_OPEN,
        W_OPEN,
    ));
    add(both(
        "eio-2probe",
        "(probe outside an upgrade)",
        &["2probe"],
        r#"post 200 html ok; gone 400 json {"code":1,"message":"Session ID unknown"}; reason transport error"#,
        "close 1005; reason transport error",
    ));
    add(both(
        "eio-3probe",
        "(probe answer from the client)",
        &["3probe"],
        P_OPEN,
        W_OPEN,
    ));
    add(both(
        "eio-upgrade",
        "(upgrade outside an upgrade)",
        &["5"],
        P_OPEN,
        W_OPEN,
    ));
    add(both(
        "eio-noop",
        "(noop from the client)",
        &["6"],
        P_OPEN,
        W_OPEN,
    ));
    add(both(
        "eio-message-empty",
        "(empty message: empty Socket.IO packet)",
        &["4"],
        P_FORCED,
        W_FORCED,
    )
    .forced());

    // --- Socket.IO packets (in an Engine.IO message), after joining `/` ------------------
    let ph = |s: &str| s.replace("PH0", PH0).replace("PH1", PH1);
    let sio_rows: Vec<(&'static str, &str, String, &'static str, &'static str)> = vec![
        (
            "sio-type-7",
            "(unknown type)",
            r#"47["echo",1]"#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-type-letter",
            "(type `a`)",
            "4abc".into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-attach-letters",
            "(attachment count not a number)",
            ph(r#"45x-["echo",PH0]"#),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-attach-no-dash",
            "(attachment count without `-`)",
            ph(r#"451["echo",PH0]"#),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-attach-zero",
            "(zero attachments)",
            r#"450-["echo",1]"#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-attach-empty",
            "(empty attachment count)",
            r#"45-["echo",1]"#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-placeholder-out-of-range",
            "(placeholder beyond the attachments)",
            r#"451-["echo",{"_placeholder":true,"num":3}]"#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-too-many-attachments",
            "(11 attachments, max_attachments 10)",
            ph(r#"4511-["echo",PH0]"#),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-connect-string",
            "(CONNECT, string payload)",
            r#"40/dyn-1,"x""#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-connect-array",
            "(CONNECT, array payload)",
            "40/dyn-1,[1]".into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-disconnect-payload",
            "(DISCONNECT with a payload)",
            r#"41{"a":1}"#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-event-object",
            "(EVENT, object payload)",
            "42{}".into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-event-string",
            "(EVENT, string payload)",
            r#"42"echo""#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-event-empty-array",
            "(EVENT, empty array)",
            "42[]".into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-event-reserved-connect",
            "(EVENT, reserved name)",
            r#"42["connect"]"#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-event-reserved-disconnect",
            "(EVENT, reserved name)",
            r#"42["disconnect"]"#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-event-reserved-newlistener",
            "(EVENT, reserved name)",
            r#"42["newListener"]"#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-event-null-name",
            "(EVENT, null name)",
            "42[null]".into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-event-object-name",
            "(EVENT, object name)",
            "42[{}]".into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-ack-object",
            "(ACK, object payload)",
            "431{}".into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-ack-string",
            "(ACK, string payload)",
            r#"431"x""#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-nsp-no-slash",
            "(namespace without `/`: read as JSON)",
            "40dyn-3,{}".into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-ack-id-garbage",
            "(garbage ack id)",
            r#"42abc["echo",1]"#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-trailing-garbage",
            "(garbage after the JSON)",
            r#"42["echo",1]xyz"#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-invalid-json",
            "(invalid JSON)",
            r#"42["echo","#.into(),
            P_FORCED,
            W_FORCED,
        ),
    ];
    for (name, what, packet, p, w) in sio_rows {
        add(both_owned(name, what, vec![packet], p, w).forced());
    }
    add(both(
        "sio-connect-number",
        "(CONNECT with `1`: read as an ack id)",
        &["40/dyn-1,1"],
        P_OPEN,
        r#"recv 40/dyn-1,{"sid":"…"}; open; reason -"#,
    ));
    add(both(
        "sio-event-no-payload",
        "(EVENT without data)",
        &["42"],
        P_OPEN,
        W_OPEN,
    )
    .sio(
        P_FORCED_SIO,
        W_FORCED,
        "sio refuses an EVENT without data (the reference dispatches an event with no name, a no-op): documented in core/tests/golden.rs",
    ));
    add(both(
        "sio-event-number-name",
        "(EVENT, number as name)",
        &["42[1]"],
        P_OPEN,
        W_OPEN,
    ));
    add(
        both("sio-ack-no-id", "(ACK without id)", &["43[1]"], P_OPEN, W_OPEN).sio(
            P_FORCED_SIO,
            W_FORCED,
            "sio refuses an ACK without id (the reference looks up the ack `undefined`, a no-op): documented in core/tests/golden.rs",
        ),
    );
    add(both(
        "sio-ack-unknown-id",
        "(ACK, unknown id)",
        &["4399[1]"],
        P_OPEN,
        W_OPEN,
    ));
    add(both(
        "sio-nsp-not-joined",
        "(EVENT to a namespace not joined)",
        &[r#"42/dyn-2,["echo",1]"#],
        r#"post 200 html ok; closed 200 text 6\x1e1; reason forced server close"#,
        W_FORCED,
    )
    .sio_polling(P_SERVER_CLOSE_SIO, NOOP_PADDING));
    add(both(
        "sio-nsp-unknown",
        "(CONNECT to an unknown namespace)",
        &["40/nope,"],
        P_OPEN,
        r#"recv 44/nope,{"message":"Invalid namespace"}; open; reason -"#,
    ));
    add(both(
        "sio-nsp-no-comma",
        "(namespace to the end of the packet)",
        &["40/dyn-3"],
        P_OPEN,
        r#"recv 40/dyn-3,{"sid":"…"}; open; reason -"#,
    ));
    add(both(
        "sio-connect-error-from-client",
        "(CONNECT_ERROR from the client)",
        &[r#"44{"message":"x"}"#],
        r#"post 200 html ok; closed 200 text 6\x1e1; reason forced server close"#,
        W_FORCED,
    )
    .sio_polling(P_SERVER_CLOSE_SIO, NOOP_PADDING));
    add(both(
        "sio-connect-twice",
        "(a second CONNECT to `/`)",
        &["40"],
        r#"post 200 html ok; closed 200 text 6\x1e1; reason forced server close"#,
        W_FORCED,
    )
    .sio_polling(P_SERVER_CLOSE_SIO, NOOP_PADDING));
    add(both_owned(
        "sio-text-during-binary",
        "(text while an attachment is due)",
        vec![ph(r#"451-["echo",PH0]"#), r#"42["echo",2]"#.into()],
        r#"post 200 html ok; post 200 html ok; closed 200 text 6\x1e1; reason forced close"#,
        W_FORCED,
    )
    .sio_polling(
        "post 200 html ok; post 200 html ok; closed 200 text 1; reason forced close",
        NOOP_PADDING,
    ));
    add(both_owned(
        "sio-deep-json-200",
        "(JSON nested 200 deep, event without handler)",
        vec![format!(r#"42["sink",{}]"#, deep(200))],
        P_OPEN,
        W_OPEN,
    )
    .sio(P_FORCED_SIO, W_FORCED, DEEP_JSON));
    add(both_owned(
        "sio-deep-json-10000",
        "(JSON nested 10 000 deep, event without handler)",
        vec![format!(r#"42["sink",{}]"#, deep(10_000))],
        P_OPEN,
        W_OPEN,
    )
    .sio(P_FORCED_SIO, W_FORCED, DEEP_JSON));
    add(both(
        "sio-ack-id-2pow53-plus-1",
        "(ack id 2^53 + 1)",
        &[r#"429007199254740993["echo",1]"#],
        P_OPEN,
        "recv 439007199254740992[1]; open; reason -",
    )
    .sio(
        P_OPEN,
        "recv 439007199254740993[1]; open; reason -",
        ACK_IDS,
    ));
    add(both(
        "sio-ack-id-u64-max",
        "(ack id 2^64 - 1)",
        &[r#"4218446744073709551615["echo",1]"#],
        P_OPEN,
        "recv 4318446744073709552000[1]; open; reason -",
    )
    .sio(
        P_OPEN,
        "recv 4318446744073709551615[1]; open; reason -",
        ACK_IDS,
    ));
    add(both(
        "sio-ack-id-u64-overflow",
        "(ack id 2^64)",
        &[r#"4218446744073709551616["echo",1]"#],
        P_OPEN,
        "recv 4318446744073709552000[1]; open; reason -",
    )
    .sio(P_FORCED_SIO, W_FORCED, ACK_IDS));
    add(both(
        "sio-ack-id-leading-zeros",
        "(ack id with leading zeros)",
        &[r#"42007["echo",1]"#],
        P_OPEN,
        "recv 437[1]; open; reason -",
    ));
    add(both_owned(
        "sio-nsp-1mib",
        "(CONNECT, 1 MiB namespace name: over max payload)",
        vec![format!("40{},", big_nsp(1 << 20))],
        "post 413 -; open; reason -",
        "close 1009; reason transport error",
    ));
    add(both_owned(
        "sio-nsp-under-max-payload",
        "(CONNECT, 999 000-byte namespace name)",
        vec![format!("40{},", big_nsp(999_000))],
        P_OPEN,
        "recv 44/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…(999035 bytes); open; reason -",
    ));

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
