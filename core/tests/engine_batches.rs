//! The Engine.IO server's batch calls, on the bare state machine: several WebSocket messages
//! handled with one call (`handle_ws_messages`), a write report handled with them
//! (`handle_ws_input`) and several packets queued for one session with one call
//! (`send_packets`) do what as many single calls do, in order, and stop at a session that
//! closes; a run of packets answers a parked long-poll GET once, with all of them.

use std::time::Instant;

use sio_core::engine::server::{
    Event, Method, Request, SendError, Server, ServerConfig, Transmit, TransportId, FRAME_OVERHEAD,
};
use sio_core::engine::Frame;
use sio_core::Str;
use smallvec::{smallvec, SmallVec};

const WS: TransportId = TransportId(7);

/// A server with one session opened over WebSocket `WS`, its open packet taken and reported
/// written.
fn ws_session(config: ServerConfig) -> (Server, Instant, Str) {
    let mut server = Server::new(config);
    // A test's own start time, handed in as a driver would.
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let mut req = Request::new(Method::Get, "/engine.io/?EIO=4&transport=websocket");
    req.websocket_upgrade = true;
    server.handle_request(now, WS, req);
    assert!(matches!(
        server.poll_transmit(),
        Some(Transmit::AcceptWebSocket { to: WS, .. })
    ));
    server.handle_ws_open(now, WS);
    let sid = std::iter::from_fn(|| server.poll_event())
        .find_map(|e| match e {
            Event::SessionOpened { sid, .. } => Some(sid),
            _ => None,
        })
        .expect("session");
    let written = frames_sent(&mut server)
        .iter()
        .map(|f| f.len() + FRAME_OVERHEAD)
        .sum();
    server.handle_ws_written(now, WS, written);
    (server, now, sid)
}

fn text(s: &str) -> Frame {
    Frame::Text(Str::from(s.to_owned()))
}

/// The texts of the frames the server sent on `WS` since last asked.
fn frames_sent(server: &mut Server) -> Vec<String> {
    std::iter::from_fn(|| server.poll_transmit())
        .filter_map(|t| match t {
            Transmit::WsFrame {
                to: WS,
                frame: Frame::Text(t),
            } => Some(t.as_str().to_owned()),
            _ => None,
        })
        .collect()
}

/// The messages the server reported for the session, and whether it reported its close.
fn messages(server: &mut Server) -> (Vec<String>, bool) {
    let mut texts = Vec::new();
    let mut closed = false;
    while let Some(e) = server.poll_event() {
        match e {
            Event::Message { packet, .. } => texts.push(format!("{packet:?}")),
            Event::SessionClosed { .. } => closed = true,
            _ => {}
        }
    }
    (texts, closed)
}

#[test]
fn messages_of_one_read_are_handled_in_order_until_the_session_closes() {
    let (mut one_by_one, now, _) = ws_session(ServerConfig::default());
    let (mut batched, _, _) = ws_session(ServerConfig::default());
    let read = ["4a", "4b", "3", "4c"];
    for f in read {
        one_by_one.handle_ws_message(now, WS, text(f));
    }
    batched.handle_ws_messages(now, WS, read.map(text));
    let expected = messages(&mut one_by_one);
    assert_eq!(expected.0.len(), 3, "{expected:?}");
    assert_eq!(messages(&mut batched), expected);

    // A close packet (`1`) in the middle, or a message over `max_payload` (which closes the
    // session): the same as one call each.
    let config = || ServerConfig {
        max_payload: 16,
        ..ServerConfig::default()
    };
    let too_large = format!("4{}", "z".repeat(20));
    for (read, closes) in [
        (vec!["4x", "1", "4y"], false),
        (vec!["4x", too_large.as_str(), "4y"], true),
    ] {
        let (mut one_by_one, now, _) = ws_session(config());
        let (mut batched, _, _) = ws_session(config());
        for f in &read {
            one_by_one.handle_ws_message(now, WS, text(f));
        }
        batched.handle_ws_messages(now, WS, read.iter().map(|f| text(f)));
        let expected = messages(&mut one_by_one);
        assert!(expected.0[0].contains('x'), "{expected:?}");
        if closes {
            // Closed at the large one: the message after it is not reported.
            assert_eq!((expected.0.len(), expected.1), (1, true), "{expected:?}");
        }
        assert_eq!(messages(&mut batched), expected);
        assert_eq!(frames_sent(&mut batched), frames_sent(&mut one_by_one));
    }
}

#[test]
fn a_write_report_handled_with_the_next_messages_is_as_both_calls() {
    // Sessions that may queue 1,000 bytes: past 500 (the high-water mark) a write report
    // that brings them back under it reports the drain.
    let config = || ServerConfig {
        max_buffered_bytes: 1_000,
        ..ServerConfig::default()
    };
    let big = format!("4{}", "q".repeat(599));
    let (mut apart, now, sid_a) = ws_session(config());
    let (mut together, now_t, sid_t) = ws_session(config());
    for (server, sid) in [(&mut apart, &sid_a), (&mut together, &sid_t)] {
        server.send_frame(sid, text(&big)).unwrap();
        assert_eq!(frames_sent(server), std::slice::from_ref(&big));
        assert_eq!(server.buffered(sid), Some(600 + FRAME_OVERHEAD));
    }
    let read = ["4a", "4b"];
    let written = 600 + FRAME_OVERHEAD;
    apart.handle_ws_written(now, WS, written);
    apart.handle_ws_messages(now, WS, read.map(text));
    together.handle_ws_input(now_t, WS, written, read.map(text));
    let events = |server: &mut Server| {
        std::iter::from_fn(|| server.poll_event())
            .map(|e| match e {
                Event::Drained { .. } => "drained".to_owned(),
                Event::Message { packet, .. } => format!("{packet:?}"),
                other => format!("{other:?}"),
            })
            .collect::<Vec<_>>()
    };
    let expected = events(&mut apart);
    assert_eq!(expected.len(), 3, "{expected:?}");
    assert_eq!(expected[0], "drained");
    assert_eq!(events(&mut together), expected);
    assert_eq!(together.buffered(&sid_t), Some(0));
    // The same deadline, from each server's own start.
    assert_eq!(
        together.poll_timeout().map(|t| t - now_t),
        apart.poll_timeout().map(|t| t - now)
    );
    // No report (0 bytes): the messages alone.
    together.handle_ws_input(now_t, WS, 0, [text("4c")]);
    assert_eq!(events(&mut together).len(), 1);
}

#[test]
fn packets_for_one_session_are_queued_in_order_with_one_call() {
    let (mut server, _, sid) = ws_session(ServerConfig::default());
    let packets: [SmallVec<[Frame; 1]>; 3] = [
        smallvec![text("4one")],
        // Not a message: refused, the others still go.
        smallvec![text("2ping")],
        smallvec![text("4two"), Frame::Binary(bytes::Bytes::from_static(&[1]))],
    ];
    let result = server.send_packets(&sid, packets);
    assert!(matches!(result, Err(SendError::NotAMessage)), "{result:?}");
    assert_eq!(frames_sent(&mut server), ["4one", "4two"]);

    let result = server.send_packets("nobody", [smallvec![text("4x")]]);
    assert!(
        matches!(result, Err(SendError::UnknownSession)),
        "{result:?}"
    );
}

#[test]
fn packets_past_a_full_buffer_are_left_untaken() {
    // Room for one packet and a half: the second, with the queue past half full, closes the
    // session ("send buffer full"), and the third is never taken from the iterator.
    let big = format!("4{}", "x".repeat(40));
    let config = ServerConfig {
        max_buffered_bytes: (big.len() + FRAME_OVERHEAD) * 3 / 2,
        ..ServerConfig::default()
    };
    let (mut server, _, sid) = ws_session(config);
    let mut taken = 0;
    let packets = std::iter::repeat_with(|| {
        taken += 1;
        let frames: SmallVec<[Frame; 1]> = smallvec![text(&big)];
        frames
    })
    .take(3);
    let _ = server.send_packets(&sid, packets);
    assert_eq!(taken, 2);
    let (_, closed) = messages(&mut server);
    assert!(closed);
}

/// A router takes the frames queued for one WebSocket together: `poll_ws_frame_to` gives the
/// next transmit's frame only while it is a frame for that WebSocket, in order, and leaves
/// anything else (another WebSocket's frame, a close) for `poll_transmit`.
#[test]
fn frames_for_one_websocket_are_taken_together() {
    let (mut server, now, sid) = ws_session(ServerConfig::default());
    let packets: Vec<SmallVec<[Frame; 1]>> = vec![
        smallvec![text("4a")],
        smallvec![text("4b")],
        smallvec![text("4c")],
    ];
    server.send_packets(&sid, packets).unwrap();
    assert_eq!(
        server.poll_ws_frame_to(TransportId(8)),
        None,
        "another WebSocket"
    );
    let Some(Transmit::WsFrame { to: WS, frame }) = server.poll_transmit() else {
        panic!("a frame first");
    };
    assert_eq!(frame, text("4a"));
    assert_eq!(server.poll_ws_frame_to(WS), Some(text("4b")));
    assert_eq!(server.poll_ws_frame_to(WS), Some(text("4c")));
    assert_eq!(server.poll_ws_frame_to(WS), None, "nothing queued");
    // A close after a frame: the frame comes out, and the close stays for poll_transmit.
    server.send_frame(&sid, text("4d")).unwrap();
    server.close(now, &sid).unwrap();
    assert_eq!(server.poll_ws_frame_to(WS), Some(text("4d")));
    let rest: Vec<Transmit> = std::iter::from_fn(|| server.poll_transmit()).collect();
    assert!(
        rest.iter()
            .any(|t| matches!(t, Transmit::CloseWs { to: WS })),
        "{rest:?}"
    );
}

/// A polling session with its next GET parked (`id` 2), after the handshake (`id` 1).
fn polling_session_with_parked_get(config: ServerConfig) -> (Server, Instant, Str) {
    let mut server = Server::new(config);
    // A test's own start time, handed in as a driver would.
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    server.handle_request(
        now,
        TransportId(1),
        Request::new(Method::Get, "/engine.io/?EIO=4&transport=polling"),
    );
    assert!(matches!(
        server.poll_transmit(),
        Some(Transmit::Response { .. })
    ));
    let sid = std::iter::from_fn(|| server.poll_event())
        .find_map(|e| match e {
            Event::SessionOpened { sid, .. } => Some(sid),
            _ => None,
        })
        .expect("session");
    server.handle_request(
        now,
        TransportId(2),
        Request::new(
            Method::Get,
            &format!("/engine.io/?EIO=4&transport=polling&sid={sid}"),
        ),
    );
    assert!(server.poll_transmit().is_none(), "the GET is parked");
    (server, now, sid)
}

/// The bodies of the long-poll answers the server gave since last asked, by request id.
fn answers(server: &mut Server) -> Vec<(u64, String)> {
    std::iter::from_fn(|| server.poll_transmit())
        .filter_map(|t| match t {
            Transmit::Response { to, response } => Some((
                to.0,
                String::from_utf8(response.body.to_vec()).expect("text"),
            )),
            _ => None,
        })
        .collect()
}

/// A run of packets to a polling session answers its parked GET once, with all of them (one
/// call per packet answers it with the first alone, the others waiting for the next GET).
#[test]
fn a_run_of_packets_answers_a_parked_get_with_all_of_them() {
    let (mut server, _, sid) = polling_session_with_parked_get(ServerConfig::default());
    let packets: Vec<SmallVec<[Frame; 1]>> = vec![
        smallvec![text("4a")],
        smallvec![text("4b")],
        smallvec![text("4c")],
    ];
    server.send_packets(&sid, packets).unwrap();
    assert_eq!(answers(&mut server), [(2, "4a\u{1e}4b\u{1e}4c".to_owned())]);
    assert_eq!(server.buffered(&sid), Some(0), "handed over whole");

    let (mut apart, _, sid) = polling_session_with_parked_get(ServerConfig::default());
    for t in ["4a", "4b", "4c"] {
        apart.send_frame(&sid, text(t)).unwrap();
    }
    assert_eq!(answers(&mut apart), [(2, "4a".to_owned())]);
}

/// Whether the session reported its close since last asked.
fn closed(server: &mut Server) -> bool {
    std::iter::from_fn(|| server.poll_event()).any(|e| matches!(e, Event::SessionClosed { .. }))
}

/// A run that takes the queue past its high-water mark is written as it goes, so the parked
/// GET takes part of it before the queue can fill: a run never closes a session ("send
/// buffer full") that the same packets sent one by one would keep, and leaves at most as
/// much queued. Without that, a run of large packets held back whole would close it.
#[test]
fn a_run_admits_what_single_sends_admit() {
    let big = format!("4{}", "x".repeat(40));
    let unit = big.len() + FRAME_OVERHEAD;
    for halves in [3, 4, 6, 8] {
        for n in 1..=8 {
            let config = || ServerConfig {
                max_buffered_bytes: unit * halves / 2,
                ..ServerConfig::default()
            };
            let (mut run, _, sid_run) = polling_session_with_parked_get(config());
            let packets: Vec<SmallVec<[Frame; 1]>> =
                (0..n).map(|_| smallvec![text(&big)]).collect();
            let _ = run.send_packets(&sid_run, packets);
            let run_answer = answers(&mut run);
            let run_closed = closed(&mut run);

            let (mut one, _, sid_one) = polling_session_with_parked_get(config());
            for _ in 0..n {
                let _ = one.send_frame(&sid_one, text(&big));
            }
            let one_answer = answers(&mut one);
            let one_closed = closed(&mut one);

            let case = format!("limit {halves}/2 packets, {n} packets");
            assert!(!run_closed || one_closed, "{case}");
            assert_eq!(run_answer.len(), 1, "{case}: the GET answered once");
            assert!(run_answer[0].1.len() >= one_answer[0].1.len(), "{case}");
            if !run_closed && !one_closed {
                assert!(run.buffered(&sid_run) <= one.buffered(&sid_one), "{case}");
            }
        }
    }
    // Where it matters: a limit of 3 packets, 5 sent. One by one, the GET takes the first
    // and the fifth finds 3 queued (over half) and no room: closed. In a run, the GET takes
    // the first two (the queue passed half with the second) and all five are admitted.
    let config = ServerConfig {
        max_buffered_bytes: unit * 3,
        ..ServerConfig::default()
    };
    let (mut run, _, sid) = polling_session_with_parked_get(config);
    let packets: Vec<SmallVec<[Frame; 1]>> = (0..5).map(|_| smallvec![text(&big)]).collect();
    run.send_packets(&sid, packets).unwrap();
    assert_eq!(answers(&mut run), [(2, format!("{big}\u{1e}{big}"))]);
    assert!(!closed(&mut run));
    assert_eq!(run.buffered(&sid), Some(3 * unit));
    let (mut one, _, sid) = polling_session_with_parked_get(ServerConfig {
        max_buffered_bytes: unit * 3,
        ..ServerConfig::default()
    });
    for _ in 0..5 {
        let _ = one.send_frame(&sid, text(&big));
    }
    assert_eq!(answers(&mut one), [(2, big.clone())]);
    assert!(closed(&mut one), "one by one: send buffer full");
}
