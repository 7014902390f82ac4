//! The Engine.IO server's bounded queues, in virtual time: what is queued for a client counts
//! until the driver reports it written, volatile packets go first, a client whose queue would
//! pass the limit is dropped with "send buffer full", a client that stops reading misses its
//! heartbeat and is dropped too, a graceful close does not wait forever, and a paused client
//! is not read (nor timed out) until it is resumed.

use std::time::Duration;

use sio_core::engine::server::*;
use sio_core::engine::{Frame, Packet};
use sio_core::Str;
use sio_tests::sim::{poll, EngineSim as Harness};

const S: Duration = Duration::from_secs(1);
const MS: Duration = Duration::from_millis(1);

/// A server whose clients may have `limit` bytes queued.
fn harness(limit: usize) -> Harness {
    Harness::with(ServerConfig {
        max_buffered_bytes: limit,
        ..ServerConfig::default()
    })
}

/// A WebSocket session with its `open` packet taken and reported written; its sid.
fn ws_session(h: &mut Harness) -> (TransportId, String) {
    let w = h.websocket("/engine.io/?EIO=4&transport=websocket");
    let open = h.ws_frames(w).remove(0);
    let sid = open[9..29].to_owned();
    h.server
        .handle_ws_written(h.now, w, open.len() + FRAME_OVERHEAD);
    h.drain();
    assert_eq!(h.server.buffered(&sid), Some(0));
    (w, sid)
}

/// A text message of `n` bytes in all (`4` and `n - 1` letters).
fn message(n: usize) -> Frame {
    Frame::Text(Str::from(format!("4{}", "x".repeat(n - 1))))
}

fn drained(h: &mut Harness, sid: &str) -> bool {
    let pos = h
        .events
        .iter()
        .position(|e| matches!(e, Event::Drained { sid: s } if s == sid));
    pos.map(|p| h.events.remove(p)).is_some()
}

#[test]
fn queued_frames_count_until_reported_written() {
    let mut h = harness(10_000);
    let (w, sid) = ws_session(&mut h);
    h.server.send_frame(&sid, message(100)).unwrap();
    h.server.send_frame(&sid, message(200)).unwrap();
    h.drain();
    assert_eq!(h.ws_frames(w).len(), 2);
    assert_eq!(h.server.buffered(&sid), Some(300 + 2 * FRAME_OVERHEAD));
    h.server.handle_ws_written(h.now, w, 100 + FRAME_OVERHEAD);
    assert_eq!(h.server.buffered(&sid), Some(200 + FRAME_OVERHEAD));
    // Reports past what is queued cannot make it negative.
    h.server.handle_ws_written(h.now, w, 1 << 20);
    assert_eq!(h.server.buffered(&sid), Some(0));
}

#[test]
fn a_frame_past_the_limit_closes_with_send_buffer_full_and_drops_the_websocket() {
    let mut h = harness(1_000);
    let (w, sid) = ws_session(&mut h);
    h.server.send_frame(&sid, message(400)).unwrap();
    h.server.send_frame(&sid, message(400)).unwrap();
    h.drain();
    assert_eq!(h.closed_reason(&sid), None);
    // 2 × 464 queued; a third would make 1 392 > 1 000.
    h.server.send_frame(&sid, message(400)).unwrap();
    h.drain();
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::SendBufferFull));
    assert!(
        h.ws_aborted(w),
        "dropped, not closed: it would never take a close frame"
    );
    assert_eq!(
        h.ws_frames(w).len(),
        2,
        "the frame that did not fit was not sent"
    );
    assert_eq!(h.server.session_count(), 0);
    assert_eq!(
        h.server.send_frame(&sid, message(10)),
        Err(SendError::UnknownSession)
    );
}

#[test]
fn a_frame_larger_than_the_limit_goes_to_a_client_at_most_half_full() {
    let mut h = harness(1_000);
    let (w, sid) = ws_session(&mut h);
    h.server.send_frame(&sid, message(400)).unwrap(); // 464 queued: not above half
    h.server.send_frame(&sid, message(5_000)).unwrap();
    h.drain();
    assert_eq!(h.closed_reason(&sid), None);
    assert_eq!(h.ws_frames(w).len(), 2);
    // Above half full, it would not have been taken.
    let (_, sid) = ws_session(&mut h);
    h.server.send_frame(&sid, message(600)).unwrap();
    h.server.send_frame(&sid, message(5_000)).unwrap();
    h.drain();
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::SendBufferFull));
}

#[test]
fn coming_back_to_half_the_limit_is_reported_once() {
    let mut h = harness(1_000);
    let (w, sid) = ws_session(&mut h);
    h.server.send_frame(&sid, message(436)).unwrap(); // 500 queued: not above half
    h.drain();
    assert!(!drained(&mut h, &sid));
    h.server.send_frame(&sid, message(236)).unwrap(); // 800
    h.drain();
    h.server.handle_ws_written(h.now, w, 200); // 600: still above
    h.drain();
    assert!(!drained(&mut h, &sid));
    h.server.handle_ws_written(h.now, w, 100); // 500
    h.drain();
    assert!(drained(&mut h, &sid));
    h.server.handle_ws_written(h.now, w, 500);
    h.drain();
    assert!(!drained(&mut h, &sid), "reported on the crossing only");
}

#[test]
fn volatile_packets_are_dropped_once_the_queue_is_half_full() {
    let mut h = harness(1_000);
    let (w, sid) = ws_session(&mut h);
    assert_eq!(h.server.send_volatile(&sid, &[message(100)]), Ok(true));
    h.server.send_frame(&sid, message(400)).unwrap(); // 628 queued
    assert_eq!(h.server.send_volatile(&sid, &[message(10)]), Ok(false));
    h.drain();
    assert_eq!(h.ws_frames(w).len(), 2);
    assert_eq!(
        h.closed_reason(&sid),
        None,
        "dropping a volatile packet harms no one"
    );
    h.server.handle_ws_written(h.now, w, 628);
    assert_eq!(h.server.send_volatile(&sid, &[message(10)]), Ok(true));
}

#[test]
fn the_polling_buffer_counts_until_a_get_takes_it() {
    let mut h = harness(1_000);
    let sid = h.handshake();
    h.server.send_frame(&sid, message(300)).unwrap();
    h.server.send_frame(&sid, message(300)).unwrap();
    assert_eq!(h.server.buffered(&sid), Some(2 * (300 + FRAME_OVERHEAD)));
    let get = h.get(&poll(&sid));
    assert_eq!(h.body(get).len(), 2 * 300 + 1);
    assert_eq!(h.server.buffered(&sid), Some(0));
    assert!(drained(&mut h, &sid));
    // A client that stops polling fills its buffer and is closed.
    for _ in 0..2 {
        h.server.send_frame(&sid, message(300)).unwrap();
    }
    h.server.send_frame(&sid, message(300)).unwrap();
    h.drain();
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::SendBufferFull));
    let get = h.get(&poll(&sid));
    assert_eq!(
        h.response(get).unwrap().status,
        400,
        "unknown sid from now on"
    );
}

#[test]
fn a_large_packet_to_a_waiting_get_goes_whole_and_keeps_its_stretch() {
    // A binary packet larger than the limit, sent while a GET waits: its text and its
    // attachment go in that one answer, and the next small packets (queued before the client
    // polls again) fit. Flushing its text alone once closed the session with "send buffer
    // full" on the next packet: the stretch ended with the attachment still queued.
    let mut h = harness(1_000);
    let sid = h.handshake();
    let get = h.get(&poll(&sid));
    let attachment = Frame::Binary(vec![7u8; 5_000].into());
    let frames = [
        Frame::Text(Str::from("451-[\"big\",{\"_placeholder\":true,\"num\":0}]")),
        attachment,
    ];
    h.server.send_frames(&sid, &frames).unwrap();
    h.drain();
    let body = h.response(get).expect("the waiting GET is answered").body;
    assert!(
        body.len() > 5_000,
        "text and attachment in one answer: {} bytes",
        body.len()
    );
    assert_eq!(h.server.buffered(&sid), Some(0));
    for _ in 0..3 {
        h.server.send_frame(&sid, message(100)).unwrap();
    }
    h.drain();
    assert_eq!(h.closed_reason(&sid), None);
    // Queued while no GET waits, the large packet stretches the limit until it is taken.
    h.server.send_frames(&sid, &frames).unwrap();
    h.server.send_frame(&sid, message(100)).unwrap();
    h.drain();
    assert_eq!(h.closed_reason(&sid), None);
    let get = h.get(&poll(&sid));
    assert!(h.response(get).unwrap().body.len() > 5_000 + 3 * 100);
    assert_eq!(h.server.buffered(&sid), Some(0));
}

#[test]
fn a_client_that_stops_reading_misses_its_heartbeat_and_is_dropped() {
    let mut h = Harness::new();
    let (w, sid) = ws_session(&mut h);
    h.advance(25 * S);
    assert_eq!(h.ws_frames(w), ["2"]);
    h.advance(20 * S);
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::PingTimeout));
    assert!(h.ws_aborted(w));
    assert!(!h.ws_closed(w));
}

#[test]
fn a_graceful_close_that_does_not_finish_is_aborted_after_the_linger() {
    let mut h = Harness::new();
    let (w, sid) = ws_session(&mut h);
    h.server.close(h.now, &sid).unwrap();
    h.drain();
    assert!(h.ws_closed(w));
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::ForcedClose));
    h.advance(ServerConfig::CLOSE_LINGER - MS);
    assert!(!h.ws_aborted(w));
    h.advance(MS);
    assert!(h.ws_aborted(w));
    assert_eq!(h.server.poll_timeout(), None);
}

#[test]
fn a_paused_websocket_is_told_to_stop_reading_and_is_not_timed_out() {
    let mut h = Harness::new();
    let (w, sid) = ws_session(&mut h);
    h.server.pause_reading(&sid).unwrap();
    h.drain();
    assert!(h.transmits.contains(&Transmit::PauseRead { to: w }));
    assert!(h.server.is_paused(&sid));
    // The ping goes out; its pong cannot be read while paused, so it is not awaited.
    h.advance(25 * S);
    assert_eq!(h.ws_frames(w), ["2"]);
    h.advance(60 * S);
    assert_eq!(h.closed_reason(&sid), None);
    h.server.resume_reading(h.now, &sid).unwrap();
    h.drain();
    assert!(h.transmits.contains(&Transmit::ResumeRead { to: w }));
    // Resumed: a whole ping timeout for the pong.
    h.advance(20 * S - MS);
    assert_eq!(h.closed_reason(&sid), None);
    h.ws_send(w, "3");
    h.advance(10 * S);
    assert_eq!(h.closed_reason(&sid), None);
}

#[test]
fn a_paused_polling_session_answers_its_post_on_resume() {
    let mut h = Harness::new();
    let sid = h.handshake();
    h.server.pause_reading(&sid).unwrap();
    h.drain();
    let post = h.post(&poll(&sid), "4hello\u{1e}4world");
    assert!(h.response(post).is_none(), "held while paused");
    assert!(h.messages().is_empty());
    h.server.resume_reading(h.now, &sid).unwrap();
    h.drain();
    assert_eq!(h.body(post), "ok");
    assert_eq!(
        h.messages(),
        [
            Packet::Message(Str::from_static("hello")),
            Packet::Message(Str::from_static("world"))
        ]
    );
}

#[test]
fn a_second_post_while_one_is_held_is_an_overlap() {
    let mut h = Harness::new();
    let sid = h.handshake();
    h.server.pause_reading(&sid).unwrap();
    let first = h.post(&poll(&sid), "4a");
    let second = h.post(&poll(&sid), "4b");
    assert_eq!(h.response(second).unwrap().status, 400);
    assert_eq!(h.response(first).unwrap().status, 400);
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::TransportError));
    assert!(h.messages().is_empty());
}

#[test]
fn a_held_post_whose_client_goes_away_closes_the_session() {
    let mut h = Harness::new();
    let sid = h.handshake();
    h.server.pause_reading(&sid).unwrap();
    let post = h.post(&poll(&sid), "4a");
    h.server.handle_request_aborted(h.now, post);
    h.drain();
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::TransportError));
    assert!(h.response(post).is_none());
}

#[test]
fn an_upgrade_of_a_paused_session_pauses_the_new_websocket() {
    let mut h = Harness::new();
    let sid = h.handshake();
    h.server.pause_reading(&sid).unwrap();
    let w = h.websocket(&format!("/engine.io/?EIO=4&transport=websocket&sid={sid}"));
    h.ws_send(w, "2probe");
    assert_eq!(h.ws_frames(w), ["3probe"]);
    h.ws_send(w, "5");
    assert!(h.transmits.contains(&Transmit::PauseRead { to: w }));
}

#[test]
fn the_frames_of_one_packet_are_admitted_together() {
    let mut h = harness(1_000);
    let (w, sid) = ws_session(&mut h);
    let attachment = Frame::Binary(vec![7; 5_000].into());
    // A packet (text + attachment) larger than the limit goes whole to a client that keeps up.
    h.server
        .send_frames(&sid, &[message(50), attachment.clone()])
        .unwrap();
    h.drain();
    assert_eq!(
        h.ws_frames(w),
        [format!("4{}", "x".repeat(49)), "<bin:5000>".into()]
    );
    // Behind it, the next packet closes the session: none of its frames is sent.
    h.server
        .send_frames(&sid, &[message(50), attachment])
        .unwrap();
    h.drain();
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::SendBufferFull));
    assert!(h.ws_frames(w).is_empty());
}

#[test]
fn a_large_packet_stretches_the_limit_for_what_follows_it_until_the_queue_is_back_to_half() {
    let mut h = harness(1_000);
    let (w, sid) = ws_session(&mut h);
    h.server.send_frame(&sid, message(3_000)).unwrap(); // 3 064 queued: taken, limit 4 064
    h.server.send_frame(&sid, message(500)).unwrap(); // a ping or an event behind it fits
    h.drain();
    assert_eq!(h.closed_reason(&sid), None);
    // A second large one does not: the client has not taken the first yet.
    h.server.send_frame(&sid, message(3_000)).unwrap();
    h.drain();
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::SendBufferFull));
    assert_eq!(h.ws_frames(w).len(), 2);

    // Written meanwhile, the limit is itself again.
    let (w, sid) = ws_session(&mut h);
    h.server.send_frame(&sid, message(3_000)).unwrap();
    h.server.handle_ws_written(h.now, w, 3_064);
    h.server.send_frame(&sid, message(400)).unwrap();
    h.server.send_frame(&sid, message(400)).unwrap();
    h.drain();
    assert_eq!(h.closed_reason(&sid), None);
    h.server.send_frame(&sid, message(400)).unwrap(); // 1 392 > 1 000
    h.drain();
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::SendBufferFull));
}
