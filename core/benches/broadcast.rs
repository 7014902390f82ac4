//! Broadcast benchmarks: the cost of one broadcast in the sans-IO Socket.IO server, and what
//! encoding once saves.
//!
//! Run with `cargo bench -p sio-core --bench broadcast`. Groups:
//! - `broadcast/encode`: serializing the application's value into the event's frames, the work
//!   done once per broadcast.
//! - `broadcast/fanout/N`: `SocketServer::broadcast` to N connected sockets plus draining the
//!   N `EngineCommand::Send`s, i.e. target selection and handing the shared frames out.
//! - `broadcast/encode_each/N`: N such encodings, what encoding per recipient would add on
//!   top of the fan-out (what "one encode per broadcast" avoids).
//!
//! Before measuring, the fan-out is checked to hand every recipient the very same bytes.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use serde::Serialize;
use sio_core::engine::{Frame, Packet as EnginePacket};
use sio_core::socket::server::{
    ConnInfo, EngineCommand, SocketEvent, SocketServer, SocketServerConfig, Target,
};
use sio_core::socket::{Event, Packet};
use sio_core::Str;

/// A chat message of about 200 bytes of JSON.
#[derive(Serialize)]
struct Chat {
    room: &'static str,
    user: &'static str,
    text: String,
    ts: u64,
}

fn chat() -> Chat {
    Chat {
        room: "general",
        user: "ada",
        text: "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(3),
        ts: 1_700_000_000_000,
    }
}

fn info() -> ConnInfo {
    ConnInfo {
        query: vec![("EIO".into(), "4".into())],
        headers: Vec::new(),
        address: "127.0.0.1:4000".into(),
        secure: false,
        url: "/socket.io/?EIO=4&transport=websocket".into(),
        issued: 1_700_000_000_000,
        protocol: Default::default(),
    }
}

/// A server with `n` sockets connected to `/`, every output drained.
#[allow(clippy::disallowed_methods)] // a benchmark's epoch
fn server_with(n: usize) -> SocketServer {
    let now = Instant::now();
    let mut server = SocketServer::new(SocketServerConfig {
        id_seed: [7; 32],
        ..SocketServerConfig::default()
    });
    for i in 0..n {
        let sid = Str::from(format!("session-{i:08}"));
        server.handle_engine_open(now, sid.clone(), info());
        server.handle_engine_message(now, &sid, EnginePacket::Message(Str::from_static("0")));
        let request = std::iter::from_fn(|| server.poll_event())
            .find_map(|e| match e {
                SocketEvent::ConnectRequest { request, .. } => Some(request),
                _ => None,
            })
            .expect("a connect request");
        server.accept_connect(now, request).expect("accepted");
        while server.poll_engine_command().is_some() {}
        while server.poll_event().is_some() {}
    }
    server
}

fn frame_ptr(f: &Frame) -> *const u8 {
    match f {
        Frame::Text(t) => t.as_bytes().as_ptr(),
        Frame::Binary(b) => b.as_ptr(),
    }
}

/// Asserts that one broadcast handed every recipient the same encoded bytes.
fn check_encoded_once(server: &mut SocketServer, event: &Event, n: usize) {
    let sent = server
        .broadcast("/", &Target::all(), event.clone())
        .expect("nsp");
    assert_eq!(sent, n);
    let mut first = None;
    let mut count = 0;
    while let Some(cmd) = server.poll_engine_command() {
        if let EngineCommand::Send { frames, .. } = cmd {
            let p = frame_ptr(&frames[0]);
            assert_eq!(
                *first.get_or_insert(p),
                p,
                "a recipient got its own encoding"
            );
            count += 1;
        }
    }
    assert_eq!(count, n);
}

fn broadcast_benches(c: &mut Criterion) {
    let msg = chat();
    let encode = || Packet::event("/", Event::new("chat", &msg).expect("event")).to_frames();
    let event = Event::new("chat", &msg).expect("event");
    let mut g = c.benchmark_group("broadcast/encode");
    g.bench_function("sio", |b| b.iter(|| black_box(encode())));
    g.finish();

    for n in [1_000usize, 10_000] {
        let mut server = server_with(n);
        check_encoded_once(&mut server, &event, n);
        let mut g = c.benchmark_group(format!("broadcast/fanout/{n}"));
        g.sample_size(20);
        g.bench_function("sio", |b| {
            b.iter(|| {
                server
                    .broadcast("/", &Target::all(), event.clone())
                    .expect("nsp");
                while let Some(cmd) = server.poll_engine_command() {
                    black_box(cmd);
                }
            })
        });
        g.finish();
        let mut g = c.benchmark_group(format!("broadcast/encode_each/{n}"));
        g.sample_size(20);
        g.bench_function("per_recipient", |b| {
            b.iter(|| {
                for _ in 0..n {
                    black_box(encode());
                }
            })
        });
        g.finish();
    }
}

criterion_group!(benches, broadcast_benches);
criterion_main!(benches);
