//! The Socket.IO server's limits, in virtual time: namespaces per connection, namespaces
//! created on demand removed once unused, rooms per socket, acks outstanding each way.

mod support;
use sio_core::socket::server::{EmitAckError, JoinError};
use support::*;

fn limited(f: impl FnOnce(&mut SocketServerConfig)) -> Harness {
    let mut config = SocketServerConfig {
        id_seed: [3; 32],
        ..SocketServerConfig::default()
    };
    f(&mut config);
    Harness::with(config)
}

#[test]
fn a_connection_in_too_many_namespaces_gets_connect_error() {
    let mut h = limited(|c| c.max_namespaces_per_connection = 2);
    for nsp in ["/a", "/b", "/c"] {
        h.server.add_namespace(nsp);
    }
    h.connect("E1", "/a");
    h.text("E1", "0/b,");
    let request = h.request();
    h.server.accept_connect(h.now, request).unwrap();
    h.commands();
    h.events();
    h.text("E1", "0/c,");
    assert!(
        h.events().is_empty(),
        "no decision is asked of the application"
    );
    assert_eq!(
        h.wire(),
        [r#"44/c,{"message":"Too many namespaces"}"#.to_owned()]
    );
    // Leaving one makes room again.
    h.text("E1", "1/b,");
    h.events();
    h.text("E1", "0/c,");
    assert!(matches!(
        h.events().as_slice(),
        [SocketEvent::ConnectRequest { .. }]
    ));
}

#[test]
fn namespaces_created_on_demand_go_once_unused() {
    let mut h = Harness::new();
    h.server
        .add_dynamic_namespaces(Box::new(|n| n.starts_with("/dyn-")));
    let base = h.server.namespace_count();
    for i in 0..1000 {
        let s = format!("E{i}");
        let id = h.connect(&s, &format!("/dyn-{i}"));
        h.server.disconnect(h.now, &id, false).unwrap();
        h.events();
        h.commands();
    }
    assert_eq!(h.server.namespace_count(), base, "every one was removed");
    // A pending CONNECT keeps its namespace; a refusal releases it.
    h.open("P");
    h.text("P", "0/dyn-x,");
    let request = h.request();
    assert_eq!(h.server.namespace_count(), base + 1);
    h.server.reject_connect(request, "no", None).unwrap();
    assert_eq!(h.server.namespace_count(), base);
    // One the application names itself stays.
    h.server.add_namespace("/dyn-kept");
    let id = h.connect("K", "/dyn-kept");
    h.server.disconnect(h.now, &id, false).unwrap();
    h.events();
    assert!(h.server.has_namespace("/dyn-kept"));
}

#[test]
fn a_namespace_with_a_session_kept_for_recovery_stays_until_it_expires() {
    let mut h = limited(|c| c.recovery = Some(RecoveryConfig::default()));
    h.server
        .add_dynamic_namespaces(Box::new(|n| n.starts_with("/dyn-")));
    h.connect("E1", "/dyn-a");
    h.server
        .handle_engine_close(h.now, &sid("E1"), CloseReason::TransportClose);
    h.events();
    assert!(
        h.server.has_namespace("/dyn-a"),
        "kept for the recovery window"
    );
    h.advance(RecoveryConfig::default().max_disconnection_duration + Duration::from_secs(1));
    assert!(!h.server.has_namespace("/dyn-a"));
}

#[test]
fn the_reference_behaviour_keeps_them_when_cleanup_is_off() {
    let mut h = limited(|c| c.cleanup_empty_child_namespaces = false);
    h.server.add_dynamic_namespaces(Box::new(|_| true));
    let id = h.connect("E1", "/dyn-a");
    h.server.disconnect(h.now, &id, false).unwrap();
    h.events();
    assert!(h.server.has_namespace("/dyn-a"));
}

#[test]
fn joining_past_the_room_limit_fails_and_keeps_the_rooms_before() {
    let mut h = limited(|c| c.max_rooms_per_socket = 3);
    let id = h.connect("E1", "/");
    let rooms = [Str::from("a"), Str::from("b"), Str::from("c")];
    assert_eq!(h.server.join(&id, rooms), Err(JoinError::TooManyRooms));
    assert_eq!(h.server.rooms(&id).unwrap(), [id.as_str(), "a", "b"]);
    // Joining a room it is in already is no growth.
    assert_eq!(h.server.join(&id, [Str::from("a")]), Ok(()));
    h.server.leave(&id, "a").unwrap();
    assert_eq!(h.server.join(&id, [Str::from("c")]), Ok(()));
}

#[test]
fn emits_with_ack_past_the_limit_fail_and_broadcasts_count_such_sockets_as_not_answering() {
    let mut h = limited(|c| c.max_pending_acks = 2);
    let a = h.connect("E1", "/");
    let b = h.connect("E2", "/");
    h.server.emit_with_ack(h.now, &a, ev("q"), None).unwrap();
    h.server.emit_with_ack(h.now, &a, ev("q"), None).unwrap();
    assert_eq!(
        h.server.emit_with_ack(h.now, &a, ev("q"), None),
        Err(EmitAckError::TooManyPending)
    );
    h.commands();
    let id = h
        .server
        .broadcast_with_ack(h.now, "/", &Target::all(), ev("all"), None)
        .unwrap();
    let sent = h.out();
    assert_eq!(
        sent.len(),
        1,
        "only the socket with room for an ack gets it: {sent:?}"
    );
    h.text("E2", "32[]");
    let done = h.events();
    let [SocketEvent::BroadcastAckDone {
        id: done_id,
        responses,
        timed_out,
    }] = done.as_slice()
    else {
        panic!("{done:?}")
    };
    assert_eq!(*done_id, id);
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].0, b);
    assert_eq!(timed_out, std::slice::from_ref(&a));
    // An answer makes room.
    h.text("E1", "30[]");
    h.events();
    assert!(h.server.emit_with_ack(h.now, &a, ev("q"), None).is_ok());
}

#[test]
fn only_the_latest_client_acks_can_be_answered_past_the_limit() {
    let mut h = limited(|c| c.max_pending_acks = 2);
    let id = h.connect("E1", "/");
    for ack in 1..=3 {
        h.text("E1", &format!(r#"2{ack}["q"]"#));
    }
    h.events();
    let answer = || Payload::ack(&()).unwrap();
    assert!(!h.server.ack(&id, 1, answer()), "the oldest was forgotten");
    assert!(h.server.ack(&id, 2, answer()));
    assert!(h.server.ack(&id, 3, answer()));
    assert_eq!(h.wire(), ["432[]", "433[]"]);
}
