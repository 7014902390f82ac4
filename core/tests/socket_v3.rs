//! The Socket.IO server with clients on Engine.IO v3 (Socket.IO v2): the v4 protocol as the
//! reference speaks it to them (implicit `/`, CONNECT without payload, auth from the
//! namespace's query string, socket ids from the Engine.IO sid, ERROR as a plain string), and
//! broadcasts that reach v2 and v5 clients from one encoding per wire format.

mod support;
use sio_core::engine::Protocol;
use support::*;

fn info_v3() -> ConnInfo {
    ConnInfo {
        query: vec![("EIO".into(), "3".into())],
        protocol: Protocol::V3,
        ..info()
    }
}

fn open_v3(h: &mut Harness, s: &str) {
    h.server.handle_engine_open(h.now, sid(s), info_v3());
}

/// Opens a v3 connection and accepts its implicit CONNECT to `/`.
fn connect_v3(h: &mut Harness, s: &str) -> SocketId {
    open_v3(h, s);
    let request = h.request();
    let id = h.server.accept_connect(h.now, request).unwrap();
    h.commands();
    h.events();
    id
}

#[test]
fn a_v3_client_is_in_the_main_namespace_without_asking() {
    let mut h = Harness::new();
    open_v3(&mut h, "E3");
    let events = h.events();
    let [SocketEvent::ConnectRequest { nsp, auth, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!((nsp.as_str(), auth), ("/", &None));
    let [SocketEvent::ConnectRequest { request, .. }] = events.as_slice() else {
        unreachable!()
    };
    let id = h.server.accept_connect(h.now, *request).unwrap();
    // Its id is the Engine.IO session id; the reply carries nothing.
    assert_eq!(id.as_str(), "E3");
    assert_eq!(h.server.rooms(&id).unwrap(), &[Str::from_static("E3")]);
    h.server.emit(&id, ev("hello")).unwrap();
    assert_eq!(h.wire(), vec!["40", r#"42["hello"]"#]);
}

#[test]
fn other_namespaces_take_their_auth_from_the_query_string() {
    let mut h = Harness::new();
    h.server.add_namespace("/admin");
    connect_v3(&mut h, "E3");
    h.text("E3", "0/admin?token=s%20x&token=secret,");
    let events = h.events();
    let [SocketEvent::ConnectRequest {
        request, nsp, auth, ..
    }] = events.as_slice()
    else {
        panic!("{events:?}")
    };
    assert_eq!(nsp, "/admin");
    assert_eq!(auth.as_ref().unwrap(), r#"{"token":"secret"}"#);
    let id = h.server.accept_connect(h.now, *request).unwrap();
    assert_eq!(id.as_str(), "/admin#E3");
    h.server.emit(&id, ev("hi")).unwrap();
    assert_eq!(h.wire(), vec!["40/admin,", r#"42/admin,["hi"]"#]);
    // Later packets name the namespace with or without the query.
    h.text("E3", r#"2/admin?token=secret,["ev"]"#);
    h.text("E3", r#"2/admin,["ev2"]"#);
    let names: Vec<String> = h
        .events()
        .into_iter()
        .filter_map(|e| match e {
            SocketEvent::Event { socket, event } if socket == id => Some(event.name().to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(names, ["ev", "ev2"]);
}

#[test]
fn a_refusal_is_an_error_packet_with_the_data_or_the_message() {
    let mut h = Harness::new();
    h.server.add_namespace("/admin");
    connect_v3(&mut h, "E3");
    h.text("E3", "0/admin?token=bad,");
    let request = h.request();
    let data = Value::from_serialize(&serde_json::json!({"reason": "bad token"})).unwrap();
    h.server
        .reject_connect(request, "not authorized", Some(data))
        .unwrap();
    h.text("E3", "0/admin,");
    let request = h.request();
    h.server
        .reject_connect(request, "not authorized", None)
        .unwrap();
    // An unknown namespace is refused with an object, as the reference does for v2 clients.
    h.text("E3", "0/nope,");
    assert_eq!(
        h.wire(),
        vec![
            r#"44/admin,{"reason":"bad token"}"#,
            r#"44/admin,"not authorized""#,
            r#"44/nope,{"message":"Invalid namespace"}"#,
        ]
    );
}

#[test]
fn attachments_to_a_v3_client_carry_the_type_byte() {
    let mut h = Harness::new();
    let id = connect_v3(&mut h, "E3");
    let event = Event::new("bin", &(Bytes::from_static(&[1, 2]),)).unwrap();
    h.server.emit(&id, event).unwrap();
    assert_eq!(
        h.wire(),
        vec![
            r#"451-["bin",{"_placeholder":true,"num":0}]"#.to_owned(),
            "<[4, 1, 2]>".to_owned()
        ]
    );
    // An ack with an attachment too.
    h.text("E3", r#"27["q"]"#);
    h.events();
    let payload = Payload::ack(&(Bytes::from_static(&[9]),)).unwrap();
    assert!(h.server.ack(&id, 7, payload));
    assert_eq!(
        h.wire(),
        vec![
            r#"461-7[{"_placeholder":true,"num":0}]"#.to_owned(),
            "<[4, 9]>".to_owned()
        ]
    );
    // Attachments from the client arrive as data (the Engine.IO layer took the type byte).
    h.text("E3", r#"51-["up",{"_placeholder":true,"num":0}]"#);
    h.binary("E3", &[5, 6]);
    let events = h.events();
    let [SocketEvent::Event { event, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(
        event.payload().attachments(),
        &[Bytes::from_static(&[5, 6])]
    );
}

#[test]
fn one_broadcast_is_encoded_once_per_wire_format() {
    let mut h = Harness::new();
    let v5a = h.connect("A", "/");
    let v5b = h.connect("B", "/");
    let old_a = connect_v3(&mut h, "C");
    let old_b = connect_v3(&mut h, "D");
    for id in [&v5a, &v5b, &old_a, &old_b] {
        h.server.join(id, [Str::from_static("room")]).unwrap();
    }
    let event = Event::new("news", &("text", Bytes::from_static(&[7]))).unwrap();
    let target = Target {
        rooms: vec![Str::from_static("room")],
        ..Target::default()
    };
    assert_eq!(h.server.broadcast("/", &target, event).unwrap(), 4);
    let mut by_sid = std::collections::HashMap::new();
    for c in h.commands() {
        if let EngineCommand::Send { sid, frames, .. } = c {
            by_sid.insert(sid.to_string(), frames);
        }
    }
    let bin = |s: &str| match &by_sid[s][1] {
        Frame::Binary(b) => b.clone(),
        f => panic!("{f:?}"),
    };
    assert_eq!(&bin("A")[..], &[7]);
    assert_eq!(&bin("C")[..], &[4, 7]);
    // The same buffers within each format: shared, not copied per recipient.
    assert_eq!(bin("A").as_ptr(), bin("B").as_ptr());
    assert_eq!(bin("C").as_ptr(), bin("D").as_ptr());
    let text = |s: &str| match &by_sid[s][0] {
        Frame::Text(t) => t.as_bytes().as_ptr(),
        f => panic!("{f:?}"),
    };
    assert_eq!(
        text("A"),
        text("C"),
        "the text frame is one for both formats"
    );
}

#[test]
fn v3_sockets_leave_with_the_same_reasons() {
    let mut h = Harness::new();
    h.server.add_namespace("/admin");
    let main = connect_v3(&mut h, "E3");
    h.text("E3", "0/admin,");
    let request = h.request();
    let admin = h.server.accept_connect(h.now, request).unwrap();
    h.commands();
    h.text("E3", "1/admin,");
    let events = h.events();
    assert_eq!(
        reasons(&events),
        vec![
            (
                admin.to_string(),
                "disconnecting",
                "client namespace disconnect"
            ),
            (
                admin.to_string(),
                "disconnected",
                "client namespace disconnect"
            ),
        ]
    );
    h.server
        .handle_engine_close(h.now, &sid("E3"), CloseReason::PingTimeout);
    assert_eq!(
        reasons(&h.events()),
        vec![
            (main.to_string(), "disconnecting", "ping timeout"),
            (main.to_string(), "disconnected", "ping timeout"),
        ]
    );
}
