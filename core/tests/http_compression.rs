//! The Engine.IO server's HTTP compression of long-poll answers, on the bare state machine:
//! an answer of at least the threshold to a GET that accepts gzip or deflate is marked for
//! compression (done by `Response::encoded`, outside any lock), smaller ones and GETs without
//! `Accept-Encoding` are not, and the option off marks none.

use std::time::Instant;

use sio_core::compress::http::{decode, ContentEncoding, HttpCompression};
use sio_core::engine::server::{
    Event, Method, Request, Response, Server, ServerConfig, Transmit, TransportId,
};
use sio_core::engine::Packet;
use sio_core::Str;

fn get(server: &mut Server, now: Instant, id: u64, query: &str, accept: Option<&str>) -> Response {
    let mut req = Request::new(
        Method::Get,
        &format!("/engine.io/?EIO=4&transport=polling{query}"),
    );
    req.accept_encoding = accept.map(str::to_owned);
    server.handle_request(now, TransportId(id), req);
    loop {
        match server.poll_transmit() {
            Some(Transmit::Response { to, response }) if to == TransportId(id) => return response,
            Some(_) => {}
            None => panic!("no answer to GET {id}"),
        }
    }
}

/// A session, and the answer of a GET after `payload` was sent to it.
fn answer(config: ServerConfig, payload: &str, accept: Option<&str>) -> Response {
    let mut server = Server::new(config);
    // A test's own start time, handed in as a driver would.
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let open = get(&mut server, now, 1, "", accept);
    assert!(
        open.encode_with.is_none(),
        "the short open packet stays plain"
    );
    let sid = std::iter::from_fn(|| server.poll_event())
        .find_map(|e| match e {
            Event::SessionOpened { sid, .. } => Some(sid),
            _ => None,
        })
        .expect("session");
    server
        .send(&sid, Packet::Message(Str::from(payload.to_owned())))
        .expect("send");
    get(&mut server, now, 2, &format!("&sid={sid}"), accept)
}

#[test]
fn long_poll_answers_over_the_threshold_are_compressed_by_accept_encoding() {
    let big = "x".repeat(2000);
    let r = answer(ServerConfig::default(), &big, Some("gzip, deflate, br"));
    assert!(
        r.header("content-encoding").is_none(),
        "not before `encoded`"
    );
    let r = r.encoded();
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert!(r.body.len() < 100);
    let plain = decode(ContentEncoding::Gzip, &r.body, 1 << 20).expect("gzip");
    assert_eq!(&plain[..], format!("4{big}").as_bytes());

    let r = answer(ServerConfig::default(), &big, Some("deflate")).encoded();
    assert_eq!(r.header("content-encoding"), Some("deflate"));
    let plain = decode(ContentEncoding::Deflate, &r.body, 1 << 20).expect("zlib");
    assert_eq!(&plain[..], format!("4{big}").as_bytes());
}

#[test]
fn small_answers_unasked_ones_and_the_option_off_stay_plain() {
    let small = "x".repeat(1022); // with the `4`: 1023 bytes, under 1024
    assert!(answer(ServerConfig::default(), &small, Some("gzip"))
        .encode_with
        .is_none());
    let at = "x".repeat(1023);
    assert!(answer(ServerConfig::default(), &at, Some("gzip"))
        .encode_with
        .is_some());
    let big = "x".repeat(5000);
    let r = answer(ServerConfig::default(), &big, None).encoded();
    assert!(r.header("content-encoding").is_none());
    assert!(answer(ServerConfig::default(), &big, Some("br"))
        .encode_with
        .is_none());
    let off = ServerConfig {
        http_compression: None,
        ..ServerConfig::default()
    };
    assert!(answer(off, &big, Some("gzip")).encode_with.is_none());
    let high = ServerConfig {
        http_compression: Some(HttpCompression {
            threshold: 10_000,
            ..HttpCompression::default()
        }),
        ..ServerConfig::default()
    };
    assert!(answer(high, &big, Some("gzip")).encode_with.is_none());
}
