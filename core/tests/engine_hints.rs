//! Session hints on the bare Engine.IO server: a send given a session's hint
//! (`send_frame_hinted`, `send_frames_hinted`) reaches the session its id names, whatever the
//! hint says: the right hint, another session's, a stale one whose place was reused, or none.

use std::time::Instant;

use sio_core::engine::server::{
    Event, Method, Request, SendError, Server, ServerConfig, SessionHint, Transmit, TransportId,
};
use sio_core::engine::Frame;
use sio_core::Str;

/// Opens a session over WebSocket `ws`; returns its id, its open packet taken.
fn open(server: &mut Server, now: Instant, ws: TransportId) -> Str {
    let mut req = Request::new(Method::Get, "/engine.io/?EIO=4&transport=websocket");
    req.websocket_upgrade = true;
    server.handle_request(now, ws, req);
    assert!(matches!(
        server.poll_transmit(),
        Some(Transmit::AcceptWebSocket { to, .. }) if to == ws
    ));
    server.handle_ws_open(now, ws);
    let sid = std::iter::from_fn(|| server.poll_event())
        .find_map(|e| match e {
            Event::SessionOpened { sid, .. } => Some(sid),
            _ => None,
        })
        .expect("session");
    sent(server);
    sid
}

/// The text frames sent since last asked, with the WebSocket each went to.
fn sent(server: &mut Server) -> Vec<(TransportId, String)> {
    std::iter::from_fn(|| server.poll_transmit())
        .filter_map(|t| match t {
            Transmit::WsFrame {
                to,
                frame: Frame::Text(t),
            } => Some((to, t.as_str().to_owned())),
            _ => None,
        })
        .collect()
}

fn text(s: &str) -> Frame {
    Frame::Text(Str::from(s.to_owned()))
}

#[test]
fn a_hinted_send_reaches_the_session_its_id_names() {
    let mut server = Server::new(ServerConfig::default());
    // A test's own start time, handed in as a driver would.
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let (wa, wb, wc) = (TransportId(1), TransportId(2), TransportId(3));
    let a = open(&mut server, now, wa);
    let b = open(&mut server, now, wb);
    let (ha, hb) = (server.session_hint(&a), server.session_hint(&b));
    assert_ne!(ha, SessionHint::NONE);
    assert_ne!(ha, hb);
    assert_eq!(server.session_hint("nobody"), SessionHint::NONE);

    // Its own hint, another's, none, and a copy of the id (another buffer) with its hint.
    server.send_frame_hinted(ha, &a, text("4own")).unwrap();
    server.send_frame_hinted(ha, &b, text("4other")).unwrap();
    server
        .send_frame_hinted(SessionHint::NONE, &a, text("4none"))
        .unwrap();
    let copy = Str::from(a.as_str().to_owned());
    server.send_frame_hinted(ha, &copy, text("4copy")).unwrap();
    server
        .send_frames_hinted(hb, &b, &[text("4both"), Frame::Binary(vec![1u8].into())])
        .unwrap();
    let own = |s: &str| s.to_owned();
    assert_eq!(
        sent(&mut server),
        vec![
            (wa, own("4own")),
            (wb, own("4other")),
            (wa, own("4none")),
            (wa, own("4copy")),
            (wb, own("4both")),
        ]
    );
    assert_eq!(
        server.send_frame_hinted(ha, &a, Frame::Text(Str::from_static("2"))),
        Err(SendError::NotAMessage)
    );

    // `a` closes; `c` opens in its place. `a`'s hint now names `c`'s place: a send to `a`
    // finds no session, and `c` gets nothing of it.
    server.close(now, &a).unwrap();
    server.handle_ws_closed(now, wa);
    assert!(std::iter::from_fn(|| server.poll_event())
        .any(|e| matches!(e, Event::SessionClosed { ref sid, .. } if *sid == a)));
    sent(&mut server);
    let c = open(&mut server, now, wc);
    assert_eq!(server.session_hint(&c), ha, "the place is reused");
    assert_eq!(
        server.send_frame_hinted(ha, &a, text("4late")),
        Err(SendError::UnknownSession)
    );
    server.send_frame_hinted(ha, &c, text("4new")).unwrap();
    assert_eq!(sent(&mut server), vec![(wc, "4new".to_owned())]);
}

/// The Socket.IO server told each session's hint (`set_session_hint`, as the api layer does
/// on `SessionOpened`) puts it on every send to a socket of that session: an emit, a
/// broadcast's deliveries, an ack's answer; a v2 client's socket (in `/` from the open on)
/// too. The engine then sends each by its hint to the right WebSocket.
#[test]
fn a_sockets_sends_carry_its_sessions_hint() {
    use sio_core::socket::server::{
        EngineCommand, SocketEvent, SocketId, SocketServer, SocketServerConfig, Target,
    };
    use sio_core::socket::Event as SioEvent;

    let mut engine = Server::new(ServerConfig {
        allow_eio3: true,
        ..ServerConfig::default()
    });
    let mut sio = SocketServer::new(SocketServerConfig::default());
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    // Opens a session over `ws` (EIO `eio`), tells the Socket.IO server, and returns its id.
    let open = |engine: &mut Server, sio: &mut SocketServer, ws: TransportId, eio: u8| {
        let mut req = Request::new(
            Method::Get,
            &format!("/engine.io/?EIO={eio}&transport=websocket"),
        );
        req.websocket_upgrade = true;
        engine.handle_request(now, ws, req);
        engine.handle_ws_open(now, ws);
        let (sid, protocol) = std::iter::from_fn(|| engine.poll_event())
            .find_map(|e| match e {
                Event::SessionOpened { sid, protocol, .. } => Some((sid, protocol)),
                _ => None,
            })
            .expect("session");
        sent(engine);
        let hint = engine.session_hint(&sid);
        let info = sio_core::socket::server::ConnInfo {
            protocol,
            ..Default::default()
        };
        sio.handle_engine_open(now, sid.clone(), info);
        sio.set_session_hint(&sid, hint);
        (sid, hint)
    };
    let (w4, w3) = (TransportId(4), TransportId(3));
    let (s4, h4) = open(&mut engine, &mut sio, w4, 4);
    sio.handle_engine_message(
        now,
        &s4,
        sio_core::engine::Packet::Message(Str::from_static("0")),
    );
    let (s3, h3) = open(&mut engine, &mut sio, w3, 3);
    // Both sockets in `/` (a v2 client without asking); the v4 one asks for an ack.
    let requests: Vec<_> = std::iter::from_fn(|| sio.poll_event())
        .filter_map(|e| match e {
            SocketEvent::ConnectRequest { request, .. } => Some(request),
            _ => None,
        })
        .collect();
    let sockets: Vec<SocketId> = requests
        .into_iter()
        .map(|r| sio.accept_connect(now, r).unwrap())
        .collect();
    assert_eq!(sockets.len(), 2);
    while sio.poll_event().is_some() {}
    sio.handle_engine_message(
        now,
        &s4,
        sio_core::engine::Packet::Message(Str::from_static("27[\"ask\"]")),
    );
    let asked = std::iter::from_fn(|| sio.poll_event())
        .any(|e| matches!(e, SocketEvent::Event { ref event, .. } if event.ack_id() == Some(7)));
    assert!(asked);
    let socket4 = sio.sockets_of_connection(&s4)[0].clone();
    assert!(sio.ack(
        &socket4,
        7,
        sio_core::socket::Payload::ack(&[0u8; 0]).unwrap()
    ));
    sio.emit(&socket4, SioEvent::new("one", &[0u8; 0]).unwrap())
        .unwrap();
    assert_eq!(
        sio.broadcast(
            "/",
            &Target::all(),
            SioEvent::new("all", &[0u8; 0]).unwrap()
        ),
        Ok(2)
    );
    // Every send (the CONNECT replies too, which name the session only) to the right place.
    let mut hinted = 0;
    while let Some(cmd) = sio.poll_engine_command() {
        let EngineCommand::Send {
            sid, hint, frames, ..
        } = cmd
        else {
            panic!("unexpected {cmd:?}");
        };
        assert!(sid == s4 || sid == s3);
        let own = if sid == s4 { h4 } else { h3 };
        assert!(
            hint == own || hint == SessionHint::NONE,
            "{sid:?}: {hint:?}"
        );
        hinted += usize::from(hint == own);
        engine.send_frames_hinted(hint, &sid, &frames).unwrap();
    }
    // The ack, the emit and the broadcast's two.
    assert_eq!(hinted, 4);
    let to: Vec<(TransportId, String)> = sent(&mut engine);
    let on = |ws: TransportId| -> Vec<&str> {
        to.iter()
            .filter(|(w, _)| *w == ws)
            .map(|(_, t)| t.as_str())
            .collect()
    };
    assert_eq!(
        on(w4)
            .into_iter()
            .filter(|t| !t.starts_with("40"))
            .collect::<Vec<_>>(),
        ["437[]", "42[\"one\"]", "42[\"all\"]"]
    );
    assert_eq!(on(w3).last(), Some(&"42[\"all\"]"));
}
