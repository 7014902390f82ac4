//! The streams adapter's protocol (`@socket.io/redis-streams-adapter` 0.2) sans-IO: servers
//! wired through an in-memory stream that behaves as Redis does for it (`XADD` appends with
//! increasing ids, `XREAD` returns what follows an id, `$` is the end when reading starts;
//! `SET`/`GET`+`DEL` for sessions, `XRANGE`), in virtual time.

mod support;

use std::collections::HashMap;

use sio_core::socket::cluster::{
    Cluster, ClusterConfig, ClusterEvent, ClusterTransmit, StreamEntry, StreamsConfig,
};
use support::*;

struct Bus {
    entries: Vec<StreamEntry>,
    sessions: HashMap<String, Bytes>,
}

struct Node {
    h: Harness,
    c: Cluster,
    events: Vec<ClusterEvent>,
    /// Where `$` stood when this server started reading.
    start: usize,
    /// Left out of the bus (a server that stopped).
    down: bool,
}

fn node(seed: u8, bus: &Bus, recovery: bool) -> Node {
    let mut c = Cluster::new(ClusterConfig {
        seed: [seed; 32],
        ..ClusterConfig::streams(StreamsConfig::default())
    });
    let mut h = Harness::with(SocketServerConfig {
        id_seed: [seed; 32],
        recovery: recovery.then(RecoveryConfig::default),
        ..SocketServerConfig::default()
    });
    c.add_namespace(h.now, "/");
    if recovery {
        h.server.set_external_sessions(true);
        c.set_sessions(true);
    }
    Node {
        h,
        c,
        events: Vec::new(),
        start: bus.entries.len(),
        down: false,
    }
}

fn range(bus: &Bus, from: usize, count: usize) -> Vec<StreamEntry> {
    bus.entries.iter().skip(from).take(count).cloned().collect()
}

fn index_of(bus: &Bus, id: &str) -> Option<usize> {
    bus.entries.iter().position(|e| e.id == id)
}

/// Moves everything until nothing moves: each server's session requests to its cluster,
/// transmits to the bus, and each server reads the stream.
fn run(bus: &mut Bus, nodes: &mut [Node]) {
    loop {
        let mut moved = false;
        for n in nodes.iter_mut().filter(|n| !n.down) {
            let now = n.h.now;
            while let Some(io) = n.h.server.poll_session_io() {
                n.c.handle_session_io(now, &mut n.h.server, io);
            }
            while let Some(t) = n.c.poll_transmit() {
                moved = true;
                match t {
                    ClusterTransmit::XAdd { fields, token, .. } => {
                        let id = format!("1700000000000-{}", bus.entries.len());
                        let fields = fields
                            .into_iter()
                            .map(|(k, v)| (Bytes::from_static(k.as_bytes()), v))
                            .collect();
                        bus.entries.push(StreamEntry {
                            id: id.clone(),
                            fields,
                        });
                        if let Some(token) = token {
                            n.c.handle_stream_added(now, &mut n.h.server, token, Some(&id));
                        }
                    }
                    ClusterTransmit::SetSession { key, value, .. } => {
                        bus.sessions.insert(key, value);
                    }
                    ClusterTransmit::TakeSession {
                        token,
                        key,
                        offset,
                        count,
                        ..
                    } => {
                        let session = bus.sessions.remove(&key);
                        let entries = index_of(bus, &offset)
                            .map(|i| range(bus, i, count))
                            .unwrap_or_default();
                        n.c.handle_session_taken(
                            now,
                            &mut n.h.server,
                            token,
                            Some((session, entries)),
                        );
                    }
                    ClusterTransmit::ReadRange {
                        token,
                        start,
                        count,
                        ..
                    } => {
                        let from = bus
                            .entries
                            .iter()
                            .position(|e| e.id >= start)
                            .unwrap_or(bus.entries.len());
                        let entries = range(bus, from, count);
                        n.c.handle_range(now, &mut n.h.server, token, Some(entries));
                    }
                    other => panic!("the streams adapter does not ask for {other:?}"),
                }
            }
        }
        for n in nodes.iter_mut().filter(|n| !n.down) {
            let read = n.c.stream_read().expect("a streams cluster reads");
            let from = if read.offset == "$" {
                n.start
            } else {
                index_of(bus, &read.offset).map_or(0, |i| i + 1)
            };
            let entries = range(bus, from, read.count);
            if !entries.is_empty() {
                moved = true;
                let now = n.h.now;
                n.c.handle_stream_entries(now, &mut n.h.server, entries);
            }
            while let Some(e) = n.c.poll_event() {
                moved = true;
                n.events.push(e);
            }
        }
        if !moved {
            return;
        }
    }
}

fn cluster(n: usize, recovery: bool) -> (Bus, Vec<Node>) {
    let mut bus = Bus {
        entries: Vec::new(),
        sessions: HashMap::new(),
    };
    let mut nodes = Vec::new();
    for i in 0..n as u8 {
        nodes.push(node(i + 1, &bus, recovery));
        run(&mut bus, &mut nodes);
    }
    (bus, nodes)
}

/// Moves every server's clock by `d` and fires its timers.
fn advance(nodes: &mut [Node], d: Duration) {
    for n in nodes.iter_mut().filter(|n| !n.down) {
        n.h.advance(d);
        let now = n.h.now;
        n.c.handle_timeout(now);
    }
}

#[test]
fn servers_learn_of_each_other_by_heartbeats_and_fetch_sockets_waits_for_them_by_uid() {
    let (mut bus, mut nodes) = cluster(3, false);
    let types: Vec<&[u8]> = bus
        .entries
        .iter()
        .map(|e| {
            e.fields
                .iter()
                .find(|(k, _)| k == "type")
                .unwrap()
                .1
                .as_ref()
        })
        .collect();
    assert_eq!(types[0], b"1", "a server starts with INITIAL_HEARTBEAT");
    assert!(types.contains(&&b"2"[..]), "the others answer HEARTBEAT");
    for (i, n) in nodes.iter_mut().enumerate() {
        n.h.connect(&format!("s{i}"), "/");
    }
    let now = nodes[0].h.now;
    let Node { h, c, .. } = &mut nodes[0];
    c.fetch_sockets(now, &h.server, "/", &Target::all());
    run(&mut bus, &mut nodes);
    match nodes[0].events.pop() {
        Some(ClusterEvent::FetchDone {
            sockets,
            complete: true,
            ..
        }) => assert_eq!(sockets.len(), 3),
        other => panic!("{other:?}"),
    }

    // The third server stops: heartbeats keep the second one counted; once the third has
    // been silent for the heartbeat timeout, a request no longer waits for it.
    nodes[2].down = true;
    advance(&mut nodes, Duration::from_millis(6000));
    run(&mut bus, &mut nodes);
    let now = nodes[0].h.now;
    let Node { h, c, .. } = &mut nodes[0];
    c.fetch_sockets(now, &h.server, "/", &Target::all());
    run(&mut bus, &mut nodes);
    assert!(nodes[0].events.is_empty(), "waits for the silent server");
    advance(&mut nodes, Duration::from_millis(4000));
    run(&mut bus, &mut nodes);
    match nodes[0].events.pop() {
        Some(ClusterEvent::FetchDone {
            sockets,
            complete: true,
            ..
        }) => assert_eq!(sockets.len(), 2),
        other => panic!("{other:?}"),
    }
    let now = nodes[0].h.now;
    assert!(nodes[0].c.poll_timeout().unwrap() <= now + Duration::from_millis(5000));
}

#[test]
fn with_recovery_a_broadcast_is_delivered_with_its_stream_offset_on_every_server() {
    let (mut bus, mut nodes) = cluster(2, true);
    nodes[0].h.connect("a", "/");
    nodes[1].h.connect("b", "/");
    assert!(nodes[0].c.defers_local());
    assert!(nodes[0].c.broadcast("/", &Target::all(), &ev("n"), false));
    assert!(
        nodes[0].h.wire().is_empty(),
        "the local delivery waits for the entry id"
    );
    run(&mut bus, &mut nodes);
    let id = bus.entries.last().unwrap().id.clone();
    let expected = vec![format!(r#"42["n","{id}"]"#)];
    assert_eq!(nodes[0].h.wire(), expected);
    assert_eq!(nodes[1].h.wire(), expected);
    assert_eq!(
        nodes[1].c.stream_read().unwrap().offset,
        id,
        "reading resumes after it"
    );

    // A volatile broadcast has no offset and is delivered at once.
    assert!(!nodes[0].c.broadcast("/", &Target::all(), &ev("v"), true));
    nodes[0]
        .h
        .server
        .broadcast_volatile("/", &Target::all(), ev("v"))
        .unwrap();
    assert_eq!(nodes[0].h.wire(), vec![r#"42["v"]"#.to_owned()]);
}

/// The CONNECT reply's sid and pid, and the last offset, from what a client received.
fn session_of(wire: &[String]) -> (String, String, String) {
    let connect = wire
        .iter()
        .find(|w| w.starts_with("40{"))
        .expect("a CONNECT reply");
    let v: serde_json::Value = serde_json::from_str(&connect[2..]).unwrap();
    let offset = wire
        .iter()
        .rev()
        .find(|w| w.starts_with("42"))
        .map(|w| {
            let a: serde_json::Value = serde_json::from_str(&w[2..]).unwrap();
            a.as_array()
                .unwrap()
                .last()
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .expect("an event");
    (
        v["sid"].as_str().unwrap().to_owned(),
        v["pid"].as_str().unwrap().to_owned(),
        offset,
    )
}

#[test]
fn a_client_recovers_its_session_and_missed_room_events_on_another_server() {
    let (mut bus, mut nodes) = cluster(2, true);
    // The client joins room r on the second server and receives one event.
    nodes[1].h.open("c");
    nodes[1].h.text("c", "0");
    let request = nodes[1].h.request();
    let now = nodes[1].h.now;
    let id = nodes[1].h.server.accept_connect(now, request).unwrap();
    nodes[1].h.server.join(&id, [Str::from("r")]).unwrap();
    nodes[1].h.events();
    nodes[0]
        .c
        .broadcast("/", &Target::room("r"), &ev("first"), false);
    run(&mut bus, &mut nodes);
    let (sid, pid, offset) = session_of(&nodes[1].h.wire());
    assert_eq!(sid, id.as_str());

    // Its connection drops: the session goes to Redis; events follow while it is away.
    let now = nodes[1].h.now;
    nodes[1]
        .h
        .server
        .handle_engine_close(now, &Str::from("c"), CloseReason::TransportClose);
    nodes[1].h.events();
    run(&mut bus, &mut nodes);
    assert_eq!(bus.sessions.len(), 1);
    nodes[1]
        .c
        .broadcast("/", &Target::room("r"), &ev("missed"), false);
    run(&mut bus, &mut nodes);
    nodes[0]
        .c
        .broadcast("/", &Target::room("elsewhere"), &ev("not-mine"), false);
    nodes[0]
        .c
        .broadcast("/", &Target::all().except("r"), &ev("excluded"), false);
    nodes[0]
        .c
        .broadcast("/", &Target::all(), &ev("everyone"), false);
    run(&mut bus, &mut nodes);

    // It comes back on the first server: same id, the missed events first, then CONNECT.
    nodes[0].h.open("c2");
    let auth = format!(r#"0{{"pid":"{pid}","offset":"{offset}"}}"#);
    nodes[0].h.text("c2", &auth);
    assert!(nodes[0].h.events().is_empty(), "waits for Redis");
    run(&mut bus, &mut nodes);
    let wire = nodes[0].h.wire();
    let names: Vec<String> = wire
        .iter()
        .map(|w| w.split('"').nth(1).unwrap_or_default().to_owned())
        .collect();
    assert_eq!(names, ["missed", "everyone", "sid"], "{wire:?}");
    assert!(wire[2].contains(id.as_str()));
    match nodes[0].h.events().as_slice() {
        [SocketEvent::Connected {
            recovered: true, ..
        }] => {}
        other => panic!("{other:?}"),
    }
    assert!(nodes[0]
        .h
        .server
        .rooms(&id)
        .unwrap()
        .contains(&Str::from("r")));
    assert!(bus.sessions.is_empty(), "a session is restored once");
}

#[test]
fn a_client_with_an_unknown_session_or_offset_gets_a_new_socket() {
    let (mut bus, mut nodes) = cluster(1, true);
    for auth in [
        r#"0{"pid":"nope","offset":"1700000000000-0"}"#,
        r#"0{"pid":"nope","offset":"not-an-offset"}"#,
    ] {
        nodes[0].h.open("c");
        nodes[0].h.text("c", auth);
        run(&mut bus, &mut nodes);
        match nodes[0].h.events().as_slice() {
            [SocketEvent::ConnectRequest { .. }] => {}
            other => panic!("{other:?}"),
        }
        let now = nodes[0].h.now;
        nodes[0]
            .h
            .server
            .handle_engine_close(now, &Str::from("c"), CloseReason::TransportClose);
        nodes[0].h.events();
        nodes[0].h.commands();
    }
}

/// With recovery on and sessions kept by the adapter (the streams adapter), a socket's emit is
/// still encoded by the server's parser: a msgpack client gets binary frames.
#[test]
fn an_emit_with_external_sessions_is_encoded_by_the_parser() {
    use sio_core::socket::{Packet, Parser};
    let mut h = Harness::with(SocketServerConfig {
        id_seed: [3; 32],
        parser: Parser::MsgPack,
        recovery: Some(RecoveryConfig::default()),
        ..SocketServerConfig::default()
    });
    h.server.set_external_sessions(true);
    h.open("s1");
    for frame in Parser::MsgPack.to_frames(&Packet::connect("/", None)) {
        let Frame::Binary(b) = frame else {
            panic!("a msgpack CONNECT is binary")
        };
        h.server
            .handle_engine_message(h.now, &sid("s1"), EnginePacket::Binary(b));
    }
    let request = h.request();
    let socket = h.server.accept_connect(h.now, request).unwrap();
    h.commands();
    h.server.emit(&socket, ev("x")).unwrap();
    let frames: Vec<Frame> = h
        .commands()
        .into_iter()
        .flat_map(|c| match c {
            EngineCommand::Send { frames, .. } => frames.into_vec(),
            EngineCommand::Close { .. } => Vec::new(),
        })
        .collect();
    assert!(!frames.is_empty());
    assert!(
        frames.iter().all(|f| matches!(f, Frame::Binary(_))),
        "{frames:?}"
    );
}
