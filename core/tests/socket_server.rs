//! The Socket.IO server state machine, driven with Engine.IO-level inputs in virtual time:
//! connecting, events, acks, broadcast and rooms (leaving and recovery: `socket_lifecycle.rs`).

mod support;
use support::*;

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
    let data = Value::Object([("code".to_owned(), Value::from(42))].into_iter().collect());
    h.server
        .reject_connect(request, "Not authorized", Some(data))
        .unwrap();
    assert_eq!(
        h.wire(),
        vec![r#"44/admin,{"message":"Not authorized","data":{"code":42}}"#.to_owned()]
    );
    assert!(h.events().is_empty());

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
fn an_ack_forwarded_is_the_ack_of_its_arguments_and_answered_once() {
    for nsp in ["/", "/chat"] {
        let mut forwarded = Harness::new();
        let mut plain = Harness::new();
        let mut events = Vec::new();
        for h in [&mut forwarded, &mut plain] {
            h.server.add_namespace("/chat");
            let id = h.connect("E1", nsp);
            let prefix = if nsp == "/" {
                "2".to_owned()
            } else {
                format!("2{nsp},")
            };
            h.text("E1", &format!(r#"{prefix}7["q", 1.50, {{"k":"v"}}]"#));
            h.text("E1", &format!(r#"{prefix}7["q", "again"]"#));
            let got = h.events();
            let [SocketEvent::Event { event: first, .. }, SocketEvent::Event { event: second, .. }] =
                got.as_slice()
            else {
                panic!("{got:?}")
            };
            events.push((id, first.clone(), second.clone()));
        }
        let (id, first, second) = &events[0];
        // The client asked twice with one id: each ask is answered once, in order.
        assert!(forwarded.server.ack_forward(id, 7, first));
        assert!(forwarded.server.ack_forward(id, 7, second));
        assert!(!forwarded.server.ack_forward(id, 7, first));
        assert!(!forwarded.server.ack_forward(id, 8, first), "never asked");
        let (id, first, second) = &events[1];
        assert!(plain.server.ack(id, 7, first.args_as_ack()));
        assert!(plain.server.ack(id, 7, second.args_as_ack()));
        let wire = forwarded.wire();
        let in_nsp = if nsp == "/" {
            String::new()
        } else {
            format!("{nsp},")
        };
        assert_eq!(
            wire,
            vec![
                // The sender's text, its spacing and `1.50` included.
                format!(r#"43{in_nsp}7[ 1.50, {{"k":"v"}}]"#),
                format!(r#"43{in_nsp}7[ "again"]"#)
            ]
        );
        assert_eq!(wire, plain.wire());
    }
    // With attachments the answer is a BINARY_ACK, its attachment shared.
    let mut h = Harness::new();
    let id = h.connect("E1", "/");
    h.text("E1", r#"51-3["up",{"_placeholder":true,"num":0}]"#);
    h.binary("E1", &[9, 8]);
    let got = h.events();
    let [SocketEvent::Event { event, .. }] = got.as_slice() else {
        panic!("{got:?}")
    };
    assert!(h.server.ack_forward(&id, 3, event));
    assert_eq!(
        h.out(),
        vec![Out::Send(
            "E1".into(),
            vec![
                r#"461-3[{"_placeholder":true,"num":0}]"#.into(),
                "<[9, 8]>".into()
            ]
        )]
    );
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

/// An event received in the WebSocket message `frame` (`4` + the packet), as the layer above
/// hands it over with `handle_engine_message_framed`; returns the event.
fn receive_framed(h: &mut Harness, s: &str, frame: &str) -> Event {
    let frame = Str::from(frame.to_owned());
    let packet = EnginePacket::Message(frame.slice(1..frame.len()).unwrap());
    h.server
        .handle_engine_message_framed(h.now, &sid(s), packet, Some(frame));
    the_event(h)
}

/// The one event the server reported.
fn the_event(h: &mut Harness) -> Event {
    match h.events().as_slice() {
        [SocketEvent::Event { event, .. }] => event.clone(),
        other => panic!("expected one event, got {other:?}"),
    }
}

#[test]
fn an_echo_sends_the_frame_it_was_received_in() {
    let mut h = Harness::new();
    h.server.add_namespace("/chat");
    let id = h.connect("E1", "/");
    let chat = h.connect("E2", "/chat");

    let frame = r#"42["echo",{"a":[1, 2]}]"#;
    let event = receive_framed(&mut h, "E1", frame);
    let received = event.payload().json().as_ptr();
    h.server.emit(&id, event.renamed("echo").unwrap()).unwrap();
    let cmds = h.commands();
    let [EngineCommand::Send { frames, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    let [Frame::Text(sent)] = frames.as_slice() else {
        panic!("{frames:?}")
    };
    assert_eq!(sent.as_str(), frame);
    // The very buffer the arguments were read from: nothing was copied.
    assert_eq!(sent.as_ptr() as usize + 2, received as usize);

    // An event with an ack id, or in another namespace, is written anew (its frame is not
    // the echo's), with the same text.
    for (s, to, frame, want) in [
        ("E1", &id, r#"421["echo",3]"#, r#"42["echo",3]"#),
        (
            "E2",
            &chat,
            r#"42/chat,["echo",3]"#,
            r#"42/chat,["echo",3]"#,
        ),
    ] {
        let event = receive_framed(&mut h, s, frame);
        h.server.emit(to, event.renamed("echo").unwrap()).unwrap();
        assert_eq!(h.wire(), vec![want.to_owned()]);
    }
}

#[test]
fn a_binary_echo_sends_the_header_it_was_received_in() {
    let mut h = Harness::new();
    let id = h.connect("B1", "/");
    let header = r#"452-["bin",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
    let header = Str::from(header.to_owned());
    let text = EnginePacket::Message(header.slice(1..header.len()).unwrap());
    h.server
        .handle_engine_message_framed(h.now, &sid("B1"), text, Some(header.clone()));
    assert!(h.events().is_empty(), "the attachments are still to come");
    for data in [&[1u8, 2][..], &[3]] {
        let packet = EnginePacket::Binary(Bytes::copy_from_slice(data));
        h.server
            .handle_engine_message_framed(h.now, &sid("B1"), packet, None);
    }
    let event = the_event(&mut h);
    h.server.emit(&id, event.renamed("bin").unwrap()).unwrap();
    let cmds = h.commands();
    let [EngineCommand::Send { frames, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    let [Frame::Text(sent), Frame::Binary(a), Frame::Binary(b)] = frames.as_slice() else {
        panic!("{frames:?}")
    };
    // The header as received, the very buffer; the attachments in order.
    assert_eq!(sent.as_str(), header.as_str());
    assert_eq!(sent.as_ptr(), header.as_ptr());
    assert_eq!((&a[..], &b[..]), (&[1u8, 2][..], &[3u8][..]));

    // Under another name, the header is written anew, with the same attachments.
    let header = r#"451-["bin",{"_placeholder":true,"num":0}]"#;
    let header = Str::from(header.to_owned());
    let text = EnginePacket::Message(header.slice(1..header.len()).unwrap());
    h.server
        .handle_engine_message_framed(h.now, &sid("B1"), text, Some(header));
    let packet = EnginePacket::Binary(Bytes::from_static(b"\x09"));
    h.server
        .handle_engine_message_framed(h.now, &sid("B1"), packet, None);
    let event = the_event(&mut h);
    h.server.emit(&id, event.renamed("other").unwrap()).unwrap();
    assert_eq!(
        h.wire(),
        vec![
            r#"451-["other",{"_placeholder":true,"num":0}]"#.to_owned(),
            "<[9]>".to_owned()
        ]
    );
}

/// A received event emitted again as it is (an echo) is sent as the frame it came in when
/// that frame is its whole packet (in `/`, no ack id, no recovery log); elsewhere it is
/// written as before: in another namespace, without the client's ack id, or with the
/// recovery offset appended.
#[test]
fn a_received_event_emitted_again_is_its_frame_where_that_is_its_packet() {
    let cases: [(&str, &str, bool, &str); 5] = [
        ("/", r#"42["echo", 1.50]"#, false, r#"42["echo", 1.50]"#),
        ("/", r#"427["echo",1]"#, false, r#"42["echo",1]"#),
        (
            "/chat",
            r#"42/chat,["echo",1]"#,
            false,
            r#"42/chat,["echo",1]"#,
        ),
        ("/", r#"42["echo",1]"#, true, r#"42["echo",1,""#),
        (
            "/",
            r#"42["echo",{"a":[]}]"#,
            false,
            r#"42["echo",{"a":[]}]"#,
        ),
    ];
    for (nsp, frame, recovering, sent) in cases {
        let mut h = if recovering {
            Harness::recovering()
        } else {
            Harness::new()
        };
        h.server.add_namespace("/chat");
        let id = h.connect("E1", nsp);
        let text = Str::from(frame[1..].to_owned());
        let framed = Str::from(frame.to_owned());
        let now = h.now;
        h.server.handle_engine_message_framed(
            now,
            &sid("E1"),
            EnginePacket::Message(text),
            Some(framed.clone()),
        );
        let got = h.events();
        let [SocketEvent::Event { event, .. }] = got.as_slice() else {
            panic!("{got:?}")
        };
        h.server.emit(&id, event.clone()).unwrap();
        h.server.emit_volatile(&id, event.clone()).unwrap();
        let wire = h.wire();
        assert_eq!(wire.len(), 2, "{wire:?}");
        assert!(wire[0].starts_with(sent), "{frame}: {wire:?}");
        if recovering {
            // The offset is written after the arguments; a volatile emit takes none.
            assert!(wire[0].len() > frame.len() + 3, "{wire:?}");
            assert_eq!(wire[1], frame);
        } else {
            assert_eq!(wire[0], sent);
            assert_eq!(wire[1], sent);
        }
    }
}
