//! The Socket.IO server state machine, driven with Engine.IO-level inputs in virtual time.

use std::time::{Duration, Instant};

use bytes::Bytes;
use sio_core::engine::server::CloseReason;
use sio_core::engine::{Frame, Packet as EnginePacket};
use sio_core::socket::server::{
    ConnInfo, ConnectId, DisconnectReason, EngineCommand, RecoveryConfig, SocketEvent, SocketId,
    SocketServer, SocketServerConfig, Target,
};
use sio_core::socket::{Event, Payload};
use sio_core::{Str, Value};

struct Harness {
    server: SocketServer,
    now: Instant,
}

/// What the Engine.IO layer was asked to do, frames rendered as text.
#[derive(Debug, PartialEq, Eq)]
enum Out {
    Send(String, Vec<String>),
    Close(String),
}

fn render(frame: &Frame) -> String {
    match frame {
        Frame::Text(t) => t.as_str().to_owned(),
        Frame::Binary(b) => format!("<{:?}>", b.as_ref()),
    }
}

fn sid(s: &str) -> Str {
    Str::from(s.to_owned())
}

fn info() -> ConnInfo {
    ConnInfo {
        query: vec![("EIO".into(), "4".into()), ("token".into(), "abc".into())],
        headers: vec![("origin".into(), "http://example.com".into())],
        address: "127.0.0.1:4000".into(),
        secure: false,
        url: "/socket.io/?EIO=4&transport=polling".into(),
        issued: 1_700_000_000_000,
    }
}

impl Harness {
    fn new() -> Self {
        Harness::with(SocketServerConfig {
            id_seed: [3; 32],
            ..SocketServerConfig::default()
        })
    }

    fn recovering() -> Self {
        Harness::with(SocketServerConfig {
            id_seed: [3; 32],
            recovery: Some(RecoveryConfig::default()),
            ..SocketServerConfig::default()
        })
    }

    // The epoch of the virtual clock; from there the tests move time by hand.
    #[allow(clippy::disallowed_methods)]
    fn with(config: SocketServerConfig) -> Self {
        Harness {
            server: SocketServer::new(config),
            now: Instant::now(),
        }
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
        self.server.handle_timeout(self.now);
    }

    fn open(&mut self, s: &str) {
        self.server.handle_engine_open(self.now, sid(s), info());
    }

    fn text(&mut self, s: &str, text: &str) {
        let packet = EnginePacket::Message(Str::from(text.to_owned()));
        self.server.handle_engine_message(self.now, &sid(s), packet);
    }

    fn binary(&mut self, s: &str, data: &'static [u8]) {
        let packet = EnginePacket::Binary(Bytes::from_static(data));
        self.server.handle_engine_message(self.now, &sid(s), packet);
    }

    fn commands(&mut self) -> Vec<EngineCommand> {
        std::iter::from_fn(|| self.server.poll_engine_command()).collect()
    }

    fn out(&mut self) -> Vec<Out> {
        let cmds = self.commands();
        cmds.into_iter()
            .map(|c| match c {
                EngineCommand::Send { sid, frames, .. } => {
                    Out::Send(sid.to_string(), frames.iter().map(render).collect())
                }
                EngineCommand::Close { sid } => Out::Close(sid.to_string()),
            })
            .collect()
    }

    /// The text of every frame sent, in order, whatever the session.
    fn wire(&mut self) -> Vec<String> {
        let out = self.out();
        out.into_iter()
            .flat_map(|o| match o {
                Out::Send(_, f) => f,
                Out::Close(s) => vec![format!("close {s}")],
            })
            .collect()
    }

    fn events(&mut self) -> Vec<SocketEvent> {
        std::iter::from_fn(|| self.server.poll_event()).collect()
    }

    /// The pending CONNECT's request id (asserting that is the only event).
    fn request(&mut self) -> ConnectId {
        match self.events().as_slice() {
            [SocketEvent::ConnectRequest { request, .. }] => *request,
            other => panic!("expected a ConnectRequest, got {other:?}"),
        }
    }

    /// Opens a new session `s` and joins namespace `nsp` on it, draining everything.
    fn connect(&mut self, s: &str, nsp: &str) -> SocketId {
        self.open(s);
        let packet = if nsp == "/" {
            "0".to_owned()
        } else {
            format!("0{nsp},")
        };
        self.text(s, &packet);
        let request = self.request();
        let id = self.server.accept_connect(self.now, request).unwrap();
        self.commands();
        self.events();
        id
    }
}

fn ev(name: &str) -> Event {
    Event::new(name, &()).unwrap()
}

fn reasons(events: &[SocketEvent]) -> Vec<(String, &'static str, &'static str)> {
    events
        .iter()
        .filter_map(|e| match e {
            SocketEvent::Disconnecting { socket, reason } => {
                Some((socket.to_string(), "disconnecting", reason.as_str()))
            }
            SocketEvent::Disconnected { socket, reason } => {
                Some((socket.to_string(), "disconnected", reason.as_str()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn connect_reply_precedes_first_emit() {
    let mut h = Harness::new();
    h.open("E1");
    h.text("E1", "0");
    let events = h.events();
    let [SocketEvent::ConnectRequest {
        request,
        nsp,
        auth,
        handshake,
    }] = events.as_slice()
    else {
        panic!("{events:?}")
    };
    assert_eq!(nsp, "/");
    assert_eq!(auth, &None);
    assert_eq!(handshake.query("token"), Some("abc"));
    assert!(handshake.xdomain);
    assert!(
        h.commands().is_empty(),
        "nothing is written before the decision"
    );

    let id = h.server.accept_connect(h.now, *request).unwrap();
    assert_eq!(id.as_str().len(), 20);
    assert_ne!(id.as_str(), "E1");
    h.server.emit(&id, ev("hello")).unwrap();
    assert_eq!(
        h.out(),
        vec![
            Out::Send("E1".into(), vec![format!(r#"40{{"sid":"{id}"}}"#)]),
            Out::Send("E1".into(), vec![r#"42["hello"]"#.into()]),
        ]
    );
    assert_eq!(
        h.events(),
        vec![SocketEvent::Connected {
            socket: id.clone(),
            nsp: Str::from("/"),
            recovered: false,
        }]
    );
    assert!(h.server.accept_connect(h.now, *request).is_err());
}

#[test]
fn connect_reply_names_the_namespace() {
    let mut h = Harness::new();
    h.server.add_namespace("/admin");
    h.open("E1");
    h.text("E1", r#"0/admin,{"token":"t"}"#);
    let events = h.events();
    let [SocketEvent::ConnectRequest { request, auth, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(auth.as_deref(), Some(r#"{"token":"t"}"#));
    let id = h.server.accept_connect(h.now, *request).unwrap();
    assert_eq!(h.wire(), vec![format!(r#"40/admin,{{"sid":"{id}"}}"#)]);
    assert_eq!(
        h.server.handshake(&id).unwrap().auth.as_deref(),
        Some(r#"{"token":"t"}"#)
    );
}

#[test]
fn unknown_namespace_gets_invalid_namespace() {
    let mut h = Harness::new();
    h.open("E1");
    h.text("E1", "0/random,");
    assert_eq!(
        h.out(),
        vec![Out::Send(
            "E1".into(),
            vec![r#"44/random,{"message":"Invalid namespace"}"#.into()]
        )]
    );
    assert!(h.events().is_empty());
    assert!(!h.server.has_namespace("/random"));
}

#[test]
fn dynamic_namespace_is_created_on_first_use() {
    let mut h = Harness::new();
    h.server
        .add_dynamic_namespaces(Box::new(|name| name.starts_with("/dyn-")));
    h.open("E1");
    h.text("E1", "0/dyn-1,");
    assert!(matches!(
        h.events().as_slice(),
        [SocketEvent::ConnectRequest { .. }]
    ));
    assert!(h.server.has_namespace("/dyn-1"));
    h.text("E1", "0/other,");
    assert_eq!(
        h.wire(),
        vec![r#"44/other,{"message":"Invalid namespace"}"#.to_owned()]
    );
}

#[test]
fn middleware_rejection_sends_connect_error_with_data() {
    let mut h = Harness::new();
    h.server.add_namespace("/admin");
    h.open("E1");
    h.text("E1", "0/admin,");
    let request = h.request();
    h.text("E1", r#"2/admin,["early"]"#);
    let data = Value::Object([("code".to_owned(), Value::from(42))].into_iter().collect());
    h.server
        .reject_connect(request, "Not authorized", Some(data))
        .unwrap();
    assert_eq!(
        h.wire(),
        vec![r#"44/admin,{"message":"Not authorized","data":{"code":42}}"#.to_owned()]
    );
    assert!(h.events().is_empty(), "held events are dropped on reject");

    // Without data the key is omitted; the client may try again.
    h.text("E1", "0");
    let request = h.request();
    h.server.reject_connect(request, "nope", None).unwrap();
    assert_eq!(h.wire(), vec![r#"44{"message":"nope"}"#.to_owned()]);
    assert_eq!(h.server.socket_count("/"), 0);
}

#[test]
fn events_dispatch_in_arrival_order() {
    let mut h = Harness::new();
    let id = h.connect("E1", "/");
    h.text("E1", r#"2["a"]"#);
    h.text("E1", r#"2["b",1]"#);
    h.text("E1", r#"2["c"]"#);
    let names: Vec<String> = h
        .events()
        .into_iter()
        .map(|e| match e {
            SocketEvent::Event { socket, event } => {
                assert_eq!(socket, id);
                event.name().to_string()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(names, ["a", "b", "c"]);
}

#[test]
fn events_sent_during_the_middleware_follow_connected() {
    let mut h = Harness::new();
    h.open("E1");
    h.text("E1", "0");
    let request = h.request();
    h.text("E1", r#"2["first"]"#);
    h.text("E1", r#"2["second"]"#);
    assert!(h.events().is_empty());
    let id = h.server.accept_connect(h.now, request).unwrap();
    let events = h.events();
    assert!(matches!(&events[0], SocketEvent::Connected { socket, .. } if *socket == id));
    let names: Vec<_> = events[1..]
        .iter()
        .map(|e| match e {
            SocketEvent::Event { event, .. } => event.name().to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(names, ["first", "second"]);
}

#[test]
fn binary_event_reassembled_from_attachments() {
    let mut h = Harness::new();
    let id = h.connect("E1", "/");
    h.text(
        "E1",
        r#"52-["up",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
    );
    h.binary("E1", &[1, 2, 3]);
    assert!(h.events().is_empty(), "waits for the second attachment");
    h.binary("E1", &[4]);
    let events = h.events();
    let [SocketEvent::Event { socket, event }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(*socket, id);
    assert_eq!(event.name(), "up");
    assert_eq!(
        event.args().unwrap(),
        vec![
            Value::Binary(Bytes::from_static(&[1, 2, 3])),
            Value::Binary(Bytes::from_static(&[4]))
        ]
    );
}

#[test]
fn binary_emit_sends_attachments_after_the_header() {
    let mut h = Harness::new();
    let id = h.connect("E1", "/");
    let event = Event::new("file", &(Bytes::from_static(&[9, 8]),)).unwrap();
    h.server.emit(&id, event).unwrap();
    assert_eq!(
        h.wire(),
        vec![
            r#"451-["file",{"_placeholder":true,"num":0}]"#.to_owned(),
            "<[9, 8]>".to_owned()
        ]
    );
}

#[test]
fn ack_answered_once() {
    let mut h = Harness::new();
    let id = h.connect("E1", "/");
    h.text("E1", r#"27["question"]"#);
    let events = h.events();
    let [SocketEvent::Event { event, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(event.ack_id(), Some(7));
    assert!(h.server.ack(&id, 7, Payload::ack(&("yes",)).unwrap()));
    assert!(!h.server.ack(&id, 7, Payload::ack(&("again",)).unwrap()));
    assert!(
        !h.server.ack(&id, 8, Payload::ack(&()).unwrap()),
        "never asked"
    );
    assert_eq!(h.wire(), vec![r#"437["yes"]"#.to_owned()]);
}

#[test]
fn ack_received_reports_the_payload() {
    let mut h = Harness::new();
    let id = h.connect("E1", "/");
    let a = h
        .server
        .emit_with_ack(h.now, &id, ev("ping"), None)
        .unwrap();
    let b = h
        .server
        .emit_with_ack(h.now, &id, ev("ping"), None)
        .unwrap();
    assert_eq!((a, b), (0, 1));
    assert_eq!(
        h.wire(),
        vec![r#"420["ping"]"#.to_owned(), r#"421["ping"]"#.to_owned()]
    );
    h.text("E1", r#"31["pong",2]"#);
    h.text("E1", r#"31["pong",3]"#);
    let events = h.events();
    let [SocketEvent::AckReceived {
        socket,
        ack_id: 1,
        payload,
    }] = events.as_slice()
    else {
        panic!("{events:?}")
    };
    assert_eq!(*socket, id);
    assert_eq!(payload.json().as_str(), r#"["pong",2]"#);
}

#[test]
fn emit_with_ack_times_out_once() {
    let mut h = Harness::new();
    let id = h.connect("E1", "/");
    let start = h.now;
    let ack = h
        .server
        .emit_with_ack(h.now, &id, ev("ping"), Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(
        h.server.poll_timeout(),
        Some(start + Duration::from_secs(5))
    );
    h.advance(Duration::from_millis(4_999));
    assert!(h.events().is_empty());
    h.advance(Duration::from_millis(1));
    assert_eq!(
        h.events(),
        vec![SocketEvent::AckTimedOut {
            socket: id.clone(),
            ack_id: ack
        }]
    );
    h.advance(Duration::from_secs(5));
    h.text("E1", &format!("3{ack}[]"));
    assert!(h.events().is_empty(), "a late ack is ignored");
}

#[test]
fn broadcast_encodes_once_and_excludes_sender() {
    let mut h = Harness::new();
    let a = h.connect("E1", "/");
    let _b = h.connect("E2", "/");
    let _c = h.connect("E3", "/");
    let target = Target::all().excluding(a.clone());
    let n = h.server.broadcast("/", &target, ev("news")).unwrap();
    assert_eq!(n, 2);
    let cmds = h.commands();
    let mut sids = Vec::new();
    let mut ptrs = Vec::new();
    for c in &cmds {
        let EngineCommand::Send { sid, frames, .. } = c else {
            panic!("{c:?}")
        };
        sids.push(sid.to_string());
        let Frame::Text(t) = &frames[0] else { panic!() };
        assert_eq!(t.as_str(), r#"42["news"]"#);
        ptrs.push(t.as_bytes().as_ptr());
    }
    sids.sort();
    assert_eq!(sids, ["E2", "E3"]);
    assert_eq!(
        ptrs[0], ptrs[1],
        "every recipient shares one encoded buffer"
    );
}

#[test]
fn broadcast_reaches_each_socket_once_across_rooms() {
    let mut h = Harness::new();
    let a = h.connect("E1", "/");
    let b = h.connect("E2", "/");
    let c = h.connect("E3", "/");
    h.server
        .join(&a, [Str::from("r1"), Str::from("r2")])
        .unwrap();
    h.server
        .join(&b, [Str::from("r2"), Str::from("vip")])
        .unwrap();
    h.server.join(&c, [Str::from("r3")]).unwrap();
    let target = Target::room("r1").to("r2").to("r3").except("vip");
    assert_eq!(h.server.broadcast("/", &target, ev("x")).unwrap(), 2);
    let mut sids: Vec<_> = h
        .out()
        .into_iter()
        .map(|o| match o {
            Out::Send(s, _) => s,
            Out::Close(s) => panic!("{s}"),
        })
        .collect();
    sids.sort();
    assert_eq!(sids, ["E1", "E3"]);
    assert!(h.server.broadcast("/nope", &target, ev("x")).is_err());
}

#[test]
fn broadcast_with_ack_collects_answers_and_timeouts() {
    let mut h = Harness::new();
    let a = h.connect("E1", "/");
    let b = h.connect("E2", "/");
    let id = h
        .server
        .broadcast_with_ack(
            h.now,
            "/",
            &Target::all(),
            ev("vote"),
            Some(Duration::from_secs(2)),
        )
        .unwrap();
    let wire = h.wire();
    assert_eq!(wire, vec![r#"420["vote"]"#.to_owned(); 2]);
    h.text("E1", r#"30["yes"]"#);
    assert!(h.events().is_empty());
    h.advance(Duration::from_secs(2));
    let events = h.events();
    let [SocketEvent::BroadcastAckDone {
        id: done,
        responses,
        timed_out,
    }] = events.as_slice()
    else {
        panic!("{events:?}")
    };
    assert_eq!(*done, id);
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].0, a);
    assert_eq!(responses[0].1.json().as_str(), r#"["yes"]"#);
    assert_eq!(timed_out, &vec![b]);
    h.text("E2", r#"30["late"]"#);
    assert!(h.events().is_empty());
}

#[test]
fn broadcast_with_ack_completes_when_all_answer() {
    let mut h = Harness::new();
    h.connect("E1", "/");
    h.connect("E2", "/");
    h.server
        .broadcast_with_ack(h.now, "/", &Target::all(), ev("vote"), None)
        .unwrap();
    h.commands();
    h.text("E1", "30[1]");
    h.text("E2", "30[2]");
    let events = h.events();
    assert!(matches!(
        events.as_slice(),
        [SocketEvent::BroadcastAckDone { responses, timed_out, .. }]
            if responses.len() == 2 && timed_out.is_empty()
    ));
    // No recipient: done at once.
    h.server
        .broadcast_with_ack(h.now, "/", &Target::room("empty"), ev("v"), None)
        .unwrap();
    assert!(matches!(
        h.events().as_slice(),
        [SocketEvent::BroadcastAckDone { responses, timed_out, .. }]
            if responses.is_empty() && timed_out.is_empty()
    ));
}

#[test]
fn rooms_include_own_id() {
    let mut h = Harness::new();
    let id = h.connect("E1", "/");
    assert_eq!(h.server.rooms(&id).unwrap(), &[id.as_room().clone()]);
    h.server.join(&id, [Str::from("lobby")]).unwrap();
    h.server.join(&id, [Str::from("lobby")]).unwrap();
    assert_eq!(
        h.server.rooms(&id).unwrap(),
        &[id.as_room().clone(), Str::from("lobby")]
    );
    assert_eq!(
        h.server.sockets_in("/", &[Str::from("lobby")]),
        vec![id.clone()]
    );
    assert_eq!(
        h.server.sockets_in("/", &[id.as_room().clone()]),
        vec![id.clone()]
    );
    // Emitting to the socket's own room reaches it.
    let n = h
        .server
        .broadcast("/", &Target::room(id.as_room().clone()), ev("dm"))
        .unwrap();
    assert_eq!(n, 1);
    h.server.leave(&id, "lobby").unwrap();
    assert!(h.server.sockets_in("/", &[Str::from("lobby")]).is_empty());
}

#[test]
fn server_side_room_operations_on_a_target() {
    let mut h = Harness::new();
    let a = h.connect("E1", "/");
    let b = h.connect("E2", "/");
    h.server.join(&a, [Str::from("red")]).unwrap();
    h.server
        .sockets_join("/", &Target::all(), &[Str::from("all")])
        .unwrap();
    let mut ids = h.server.sockets_in("/", &[Str::from("all")]);
    ids.sort();
    let mut want = vec![a.clone(), b.clone()];
    want.sort();
    assert_eq!(ids, want);
    h.server
        .sockets_leave("/", &Target::room("red"), "all")
        .unwrap();
    assert_eq!(
        h.server.sockets_in("/", &[Str::from("all")]),
        vec![b.clone()]
    );
    let infos = h.server.fetch_sockets("/", &Target::room("red")).unwrap();
    assert_eq!(infos.len(), 1);
    assert_eq!(infos[0].id, a);
    assert_eq!(infos[0].rooms, vec![a.as_room().clone(), Str::from("red")]);
    assert_eq!(infos[0].handshake.conn.address, "127.0.0.1:4000");
    h.server
        .disconnect_sockets(h.now, "/", &Target::room("all"), false)
        .unwrap();
    assert_eq!(h.wire(), vec!["41".to_owned()]);
    let events = h.events();
    assert_eq!(
        reasons(&events),
        vec![
            (
                b.to_string(),
                "disconnecting",
                "server namespace disconnect"
            ),
            (b.to_string(), "disconnected", "server namespace disconnect"),
        ]
    );
    assert_eq!(h.server.socket_count("/"), 1);
}

#[test]
fn leaving_last_namespace_keeps_engine_session() {
    let mut h = Harness::new();
    let id = h.connect("E1", "/");
    h.text("E1", "1");
    assert!(h.out().is_empty(), "no reply, no close");
    assert_eq!(
        reasons(&h.events()),
        vec![
            (
                id.to_string(),
                "disconnecting",
                "client namespace disconnect"
            ),
            (
                id.to_string(),
                "disconnected",
                "client namespace disconnect"
            ),
        ]
    );
    assert_eq!(h.server.connection_count(), 1);
    assert!(!h.server.is_connected(&id));
    h.advance(Duration::from_secs(60));
    assert!(h.out().is_empty(), "the connect timeout is not re-armed");
    // The client can join again on the same session.
    h.text("E1", "0");
    assert!(matches!(
        h.events().as_slice(),
        [SocketEvent::ConnectRequest { .. }]
    ));
}

#[test]
fn client_disconnect_of_one_namespace_keeps_the_others() {
    let mut h = Harness::new();
    h.server.add_namespace("/custom");
    let main = h.connect("E1", "/");
    h.text("E1", "0/custom,");
    let request = h.request();
    let custom = h.server.accept_connect(h.now, request).unwrap();
    h.commands();
    h.events();
    h.text("E1", "1/custom,");
    h.events();
    assert!(!h.server.is_connected(&custom));
    h.text("E1", r#"2["still"]"#);
    assert!(matches!(
        h.events().as_slice(),
        [SocketEvent::Event { socket, .. }] if *socket == main
    ));
}

#[test]
fn connect_timeout_closes_idle_engine_connection() {
    let mut h = Harness::new();
    h.open("E1");
    let start = h.now;
    assert_eq!(
        h.server.poll_timeout(),
        Some(start + Duration::from_secs(45))
    );
    h.advance(Duration::from_millis(44_999));
    assert!(h.out().is_empty());
    h.advance(Duration::from_millis(1));
    assert_eq!(h.out(), vec![Out::Close("E1".into())]);
    assert_eq!(h.server.connection_count(), 0);
    assert_eq!(h.server.poll_timeout(), None);
}

#[test]
fn connect_timeout_spares_a_connection_that_joined() {
    let mut h = Harness::new();
    h.connect("E1", "/");
    assert_eq!(h.server.poll_timeout(), None);
    h.advance(Duration::from_secs(46));
    assert!(h.out().is_empty());
    assert_eq!(h.server.connection_count(), 1);
}

#[test]
fn parse_error_closes_connection_and_disconnects_its_sockets() {
    let mut h = Harness::new();
    h.server.add_namespace("/admin");
    let main = h.connect("E1", "/");
    h.text("E1", "0/admin,");
    let request = h.request();
    let admin = h.server.accept_connect(h.now, request).unwrap();
    h.commands();
    h.events();
    let other = h.connect("E2", "/");

    h.text("E1", "2{}"); // an EVENT whose payload is not an array (`42{}` on the wire)
    assert_eq!(h.out(), vec![Out::Close("E1".into())]);
    let mut got = reasons(&h.events());
    got.sort();
    let mut want = vec![
        (main.to_string(), "disconnecting", "forced close"),
        (main.to_string(), "disconnected", "forced close"),
        (admin.to_string(), "disconnecting", "forced close"),
        (admin.to_string(), "disconnected", "forced close"),
    ];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(h.server.connection_count(), 1);
    assert!(h.server.is_connected(&other));
    // The engine's later report of the close is harmless.
    h.server
        .handle_engine_close(h.now, &sid("E1"), CloseReason::ForcedClose);
    assert!(h.events().is_empty());
}

#[test]
fn unexpected_binary_is_a_parse_error() {
    let mut h = Harness::new();
    h.connect("E1", "/");
    h.binary("E1", &[1]);
    assert_eq!(h.out(), vec![Out::Close("E1".into())]);
}

#[test]
fn disconnecting_sees_rooms_then_disconnected() {
    let mut h = Harness::new();
    let id = h.connect("E1", "/");
    h.server.join(&id, [Str::from("room")]).unwrap();
    h.server.disconnect(h.now, &id, false).unwrap();
    assert_eq!(h.wire(), vec!["41".to_owned()]);
    assert!(h.server.emit(&id, ev("too late")).is_err());

    let first = h.server.poll_event().unwrap();
    assert_eq!(
        first,
        SocketEvent::Disconnecting {
            socket: id.clone(),
            reason: DisconnectReason::ServerNamespaceDisconnect
        }
    );
    assert_eq!(
        h.server.rooms(&id).unwrap(),
        &[id.as_room().clone(), Str::from("room")]
    );
    assert_eq!(
        h.server.sockets_in("/", &[Str::from("room")]),
        vec![id.clone()]
    );

    let second = h.server.poll_event().unwrap();
    assert!(matches!(second, SocketEvent::Disconnected { .. }));
    assert_eq!(h.server.rooms(&id), None);
    assert!(h.server.sockets_in("/", &[Str::from("room")]).is_empty());
    assert_eq!(h.server.socket_count("/"), 0);
    assert_eq!(
        h.server.connection_count(),
        1,
        "the Engine.IO session stays"
    );
}

#[test]
fn disconnect_with_close_disconnects_every_namespace_then_closes() {
    let mut h = Harness::new();
    h.server.add_namespace("/admin");
    let main = h.connect("E1", "/");
    h.text("E1", "0/admin,");
    let request = h.request();
    let admin = h.server.accept_connect(h.now, request).unwrap();
    h.commands();
    h.events();
    h.server.disconnect(h.now, &main, true).unwrap();
    assert_eq!(
        h.wire(),
        vec![
            "41".to_owned(),
            "41/admin,".to_owned(),
            "close E1".to_owned()
        ]
    );
    let got = reasons(&h.events());
    assert_eq!(got.len(), 4);
    assert!(got
        .iter()
        .all(|(_, _, r)| *r == "server namespace disconnect"));
    assert!(got.iter().any(|(s, _, _)| *s == admin.to_string()));
    assert_eq!(h.server.connection_count(), 0);
}

#[test]
fn engine_close_reasons_reach_the_sockets() {
    for (reason, text) in [
        (CloseReason::TransportClose, "transport close"),
        (CloseReason::TransportError, "transport error"),
        (CloseReason::PingTimeout, "ping timeout"),
        (CloseReason::ParseError, "parse error"),
        (CloseReason::ForcedClose, "forced close"),
        (CloseReason::ServerShuttingDown, "server shutting down"),
    ] {
        let mut h = Harness::new();
        let id = h.connect("E1", "/");
        h.server.handle_engine_close(h.now, &sid("E1"), reason);
        assert!(h.out().is_empty());
        assert_eq!(
            reasons(&h.events()),
            vec![
                (id.to_string(), "disconnecting", text),
                (id.to_string(), "disconnected", text),
            ]
        );
        assert_eq!(h.server.connection_count(), 0);
    }
}

#[test]
fn pending_connect_is_forgotten_when_its_connection_closes() {
    let mut h = Harness::new();
    h.open("E1");
    h.text("E1", "0");
    let request = h.request();
    h.server
        .handle_engine_close(h.now, &sid("E1"), CloseReason::TransportClose);
    assert!(h.server.accept_connect(h.now, request).is_err());
    assert!(h.out().is_empty());
}

#[test]
fn events_for_a_namespace_not_joined_are_ignored() {
    let mut h = Harness::new();
    h.server.add_namespace("/admin");
    h.connect("E1", "/");
    h.text("E1", r#"2/admin,["x"]"#);
    assert!(h.events().is_empty());
    assert!(h.out().is_empty());
}

// ---- connection state recovery --------------------------------------------------------------

/// The `pid` of a CONNECT reply `40{"sid":…,"pid":…}`.
fn pid_of(reply: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(&reply[2..]).unwrap();
    v["pid"].as_str().unwrap().to_owned()
}

#[test]
fn recovered_socket_gets_missed_events_before_connect_reply() {
    let mut h = Harness::recovering();
    h.open("E1");
    h.text("E1", "0");
    let request = h.request();
    let id = h.server.accept_connect(h.now, request).unwrap();
    let reply = h.wire().remove(0);
    let pid = pid_of(&reply);
    assert_eq!(reply, format!(r#"40{{"sid":"{id}","pid":"{pid}"}}"#));
    h.events();
    h.server.join(&id, [Str::from("room")]).unwrap();

    h.server.emit(&id, ev("hello")).unwrap();
    assert_eq!(h.wire(), vec![r#"42["hello","0"]"#.to_owned()]);
    h.server.emit_with_ack(h.now, &id, ev("q"), None).unwrap();
    h.server.emit_volatile(&id, ev("v")).unwrap();
    assert_eq!(
        h.wire(),
        vec![r#"420["q"]"#.to_owned(), r#"42["v"]"#.to_owned()],
        "acked and volatile emits carry no offset"
    );

    h.server
        .handle_engine_close(h.now, &sid("E1"), CloseReason::TransportClose);
    h.events();
    h.advance(Duration::from_secs(10));
    let other = Target::room("elsewhere");
    h.server
        .broadcast("/", &Target::room("room"), ev("missed"))
        .unwrap();
    h.server.broadcast("/", &other, ev("not for you")).unwrap();
    h.server.broadcast("/", &Target::all(), ev("all")).unwrap();

    h.open("E2");
    h.text("E2", &format!(r#"0{{"pid":"{pid}","offset":"0"}}"#));
    assert_eq!(
        h.wire(),
        vec![
            r#"42["missed","1"]"#.to_owned(),
            r#"42["all","3"]"#.to_owned(),
            format!(r#"40{{"sid":"{id}","pid":"{pid}"}}"#),
        ]
    );
    assert_eq!(
        h.events(),
        vec![SocketEvent::Connected {
            socket: id.clone(),
            nsp: Str::from("/"),
            recovered: true
        }],
        "skip_middlewares: no ConnectRequest"
    );
    assert_eq!(
        h.server.rooms(&id).unwrap(),
        &[id.as_room().clone(), Str::from("room")]
    );
}

#[test]
fn recovery_with_middlewares_asks_the_application_first() {
    let mut h = Harness::with(SocketServerConfig {
        id_seed: [3; 32],
        recovery: Some(RecoveryConfig {
            skip_middlewares: false,
            ..RecoveryConfig::default()
        }),
        ..SocketServerConfig::default()
    });
    h.open("E1");
    h.text("E1", "0");
    let request = h.request();
    let id = h.server.accept_connect(h.now, request).unwrap();
    let pid = pid_of(&h.wire()[0]);
    h.events();
    h.server.emit(&id, ev("a")).unwrap();
    h.commands();
    h.server
        .handle_engine_close(h.now, &sid("E1"), CloseReason::PingTimeout);
    h.events();
    h.open("E2");
    h.text("E2", &format!(r#"0{{"pid":"{pid}","offset":"0"}}"#));
    let request = h.request();
    assert!(h.commands().is_empty());
    let again = h.server.accept_connect(h.now, request).unwrap();
    assert_eq!(again, id);
    assert!(matches!(
        h.events().as_slice(),
        [SocketEvent::Connected {
            recovered: true,
            ..
        }]
    ));
}

#[test]
fn unknown_offset_gives_a_fresh_session() {
    let mut h = Harness::recovering();
    h.open("E1");
    h.text("E1", "0");
    let request = h.request();
    let id = h.server.accept_connect(h.now, request).unwrap();
    let pid = pid_of(&h.wire()[0]);
    h.events();
    h.server
        .handle_engine_close(h.now, &sid("E1"), CloseReason::TransportClose);
    h.events();
    h.open("E2");
    h.text("E2", &format!(r#"0{{"pid":"{pid}","offset":"zzz"}}"#));
    let request = h.request();
    let fresh = h.server.accept_connect(h.now, request).unwrap();
    assert_ne!(fresh, id);
    assert!(matches!(
        h.events().as_slice(),
        [SocketEvent::Connected {
            recovered: false,
            ..
        }]
    ));
}

#[test]
fn deliberate_disconnect_is_not_kept_for_recovery() {
    let mut h = Harness::recovering();
    h.open("E1");
    h.text("E1", "0");
    let request = h.request();
    let id = h.server.accept_connect(h.now, request).unwrap();
    let pid = pid_of(&h.wire()[0]);
    h.events();
    h.server.emit(&id, ev("a")).unwrap();
    h.commands();
    h.text("E1", "1");
    h.events();
    h.text("E1", &format!(r#"0{{"pid":"{pid}","offset":"0"}}"#));
    let request = h.request();
    assert_ne!(h.server.accept_connect(h.now, request).unwrap(), id);
}

#[test]
fn kept_session_expires_after_the_window() {
    let mut h = Harness::recovering();
    h.open("E1");
    h.text("E1", "0");
    let request = h.request();
    let id = h.server.accept_connect(h.now, request).unwrap();
    let pid = pid_of(&h.wire()[0]);
    h.events();
    h.server.emit(&id, ev("a")).unwrap();
    h.commands();
    h.server
        .handle_engine_close(h.now, &sid("E1"), CloseReason::TransportError);
    h.events();
    assert_eq!(
        h.server.poll_timeout(),
        Some(h.now + Duration::from_secs(120))
    );
    h.advance(Duration::from_secs(121));
    h.open("E2");
    h.text("E2", &format!(r#"0{{"pid":"{pid}","offset":"0"}}"#));
    assert!(matches!(
        h.events().as_slice(),
        [SocketEvent::ConnectRequest { .. }]
    ));
}

#[test]
fn packets_held_during_the_middleware_are_bounded() {
    let mut h = Harness::new();
    h.open("E1");
    h.text("E1", "0");
    let request = h.request();
    for i in 0..200 {
        h.text("E1", &format!(r#"2["e",{i}]"#));
    }
    h.server.accept_connect(h.now, request).unwrap();
    let events = h.events();
    assert_eq!(
        events.len(),
        1 + 128,
        "Connected, then the first 128 events"
    );
}
