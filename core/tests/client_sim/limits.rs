//! The client's bounds: the offline buffer and the acks it waits for are limited, an emit
//! past them is refused (not silently dropped), and room comes back once they drain.

use super::*;
use sio_core::socket::client::EmitError;

fn small(packets: usize, bytes: usize, acks: usize) -> SocketConfig {
    SocketConfig {
        max_buffered_packets: packets,
        max_buffered_bytes: bytes,
        max_pending_acks: acks,
        ..SocketConfig::default()
    }
}

fn try_emit(s: &mut Sim, name: &str, opts: EmitOptions) -> Result<Option<AckHandle>, EmitError> {
    let r = s.m.emit(s.now, "/", ev(name, &[]), opts);
    s.drain();
    r
}

#[test]
fn a_full_offline_buffer_refuses_emits_until_it_is_sent() {
    let mut s = Sim::connected_root(config(), small(3, 1 << 20, 100));
    for name in ["a", "b", "c"] {
        try_emit(&mut s, name, EmitOptions::default()).unwrap();
    }
    assert_eq!(
        try_emit(&mut s, "d", EmitOptions::default()),
        Err(EmitError::BufferFull)
    );
    // Volatile emits never wait: dropped as before, not refused.
    assert_eq!(try_emit(&mut s, "v", volatile()), Ok(None));
    assert_eq!(s.m.buffered("/"), 3);
    // (The POST in flight when "b" and "c" flush batches them.)
    s.handshake_and_connect_posting(&[r#"42["a"]"#, "42[\"b\"]\u{1e}42[\"c\"]"]);
    assert_eq!(s.m.buffered("/"), 0);
    try_emit(&mut s, "e", EmitOptions::default()).unwrap();
}

#[test]
fn the_offline_buffer_is_bounded_in_bytes_but_takes_one_large_event() {
    let mut s = Sim::connected_root(config(), small(100, 100, 100));
    let big = Value::from("x".repeat(500));
    s.m.emit(s.now, "/", ev("big", &[big]), EmitOptions::default())
        .unwrap();
    assert_eq!(
        s.m.emit(s.now, "/", ev("small", &[]), EmitOptions::default()),
        Err(EmitError::BufferFull)
    );
    assert_eq!(s.m.buffered("/"), 1);
}

#[test]
fn acks_past_the_limit_are_refused_and_room_comes_back_with_answers() {
    let mut s = Sim::connected_root(config(), small(100, 1 << 20, 2));
    let get = s.handshake_and_connect();
    let h1 = try_emit(&mut s, "q1", ack()).unwrap().unwrap();
    let (post, body) = s.post();
    assert_eq!(body, r#"420["q1"]"#);
    s.reply(post, "ok");
    try_emit(&mut s, "q2", ack()).unwrap();
    assert_eq!(
        try_emit(&mut s, "q3", ack()),
        Err(EmitError::TooManyPendingAcks)
    );
    // Emits without ack are not limited by it.
    try_emit(&mut s, "plain", EmitOptions::default()).unwrap();
    s.reply(get, "430[]");
    assert!(s
        .events()
        .contains(&acked(h1, Ok(Payload::ack(&()).unwrap()))));
    try_emit(&mut s, "q4", ack()).unwrap();
}
