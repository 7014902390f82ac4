//! The cluster protocol (`@socket.io/redis-adapter` 8.3) sans-IO: servers wired through an
//! in-memory pub/sub bus that behaves as Redis does (a publisher receives its own messages,
//! `PUBSUB NUMSUB` counts exact subscribers), in virtual time; and the msgpack bytes against
//! what `notepack.io` writes.

mod support;

use sio_core::msgpack as notepack;
use sio_core::socket::cluster::{Cluster, ClusterConfig, ClusterEvent, ClusterTransmit};
use sio_core::Map;
use support::*;

/// One cluster member: a server, its cluster state, and its subscriptions.
struct Node {
    h: Harness,
    c: Cluster,
    channels: Vec<String>,
    patterns: Vec<String>,
    events: Vec<ClusterEvent>,
}

fn node(seed: u8) -> Node {
    let mut c = Cluster::new(ClusterConfig {
        seed: [seed; 32],
        ..ClusterConfig::default()
    });
    let h = Harness::new();
    c.add_namespace(h.now, "/");
    Node {
        h,
        c,
        channels: Vec::new(),
        patterns: Vec::new(),
        events: Vec::new(),
    }
}

fn matches(n: &Node, channel: &str) -> bool {
    n.channels.iter().any(|c| c == channel)
        || n.patterns
            .iter()
            .any(|p| channel.starts_with(p.trim_end_matches('*')))
}

/// Moves every transmit through the bus until nothing moves. `numsub` overrides the count of
/// servers Redis would report (to simulate a server that does not answer).
fn run(nodes: &mut [Node], numsub: Option<usize>) {
    loop {
        let mut moved = false;
        for i in 0..nodes.len() {
            while let Some(t) = nodes[i].c.poll_transmit() {
                moved = true;
                match t {
                    ClusterTransmit::Subscribe { channels, patterns } => {
                        nodes[i].channels.extend(channels);
                        nodes[i].patterns.extend(patterns);
                    }
                    ClusterTransmit::CountServers { channel, token } => {
                        let n = nodes
                            .iter()
                            .filter(|n| n.channels.contains(&channel))
                            .count();
                        let now = nodes[i].h.now;
                        nodes[i]
                            .c
                            .handle_server_count(now, token, Some(numsub.unwrap_or(n)));
                    }
                    ClusterTransmit::Publish { channel, payload } => {
                        for n in nodes.iter_mut().filter(|n| matches(n, &channel)) {
                            let now = n.h.now;
                            n.c.handle_message(now, &mut n.h.server, channel.as_bytes(), &payload);
                        }
                    }
                    other => panic!("the classic adapter does not ask for {other:?}"),
                }
            }
            while let Some(e) = nodes[i].c.poll_event() {
                moved = true;
                nodes[i].events.push(e);
            }
        }
        if !moved {
            return;
        }
    }
}

fn cluster(n: usize) -> Vec<Node> {
    let mut nodes: Vec<Node> = (0..n as u8).map(|i| node(i + 1)).collect();
    run(&mut nodes, None);
    nodes
}

#[test]
fn notepack_writes_what_node_writes() {
    // Both from `notepack.io` 3.0.1 (`msgpack.encode(v).toString("hex")`).
    let node_broadcast = "93a661626331323383a47479706502a46461746192a2657687a161cb3ff8000000000000a162c4020102a163ffa164cd012ca165c0a166c3a173d92878787878787878787878787878787878787878787878787878787878787878787878787878787878a36e7370a12f83a5726f6f6d7391a27231a665786365707491a27331a5666c61677381a8766f6c6174696c65c3";
    let mut arg = Map::new();
    arg.insert("a", Value::from(1.5));
    arg.insert("b", Value::Binary(Bytes::from_static(&[1, 2])));
    arg.insert("c", Value::from(-1));
    arg.insert("d", Value::from(300u16));
    arg.insert("e", Value::Null);
    arg.insert("f", Value::Bool(true));
    arg.insert("s", Value::from("x".repeat(40)));
    let mut packet = Map::new();
    packet.insert("type", Value::from(2));
    packet.insert(
        "data",
        Value::Array(vec![Value::from("ev"), Value::Object(arg)]),
    );
    packet.insert("nsp", Value::from("/"));
    let opts: Value =
        serde_json::from_str(r#"{"rooms":["r1"],"except":["s1"],"flags":{"volatile":true}}"#)
            .unwrap();
    let v = Value::Array(vec![Value::from("abc123"), Value::Object(packet), opts]);
    assert_eq!(hex(&notepack::encode(&v)), node_broadcast);
    assert_eq!(notepack::decode(&unhex(node_broadcast)).unwrap(), v);
    // A float with no fraction is an integer for JavaScript, and for notepack.
    assert_eq!(
        notepack::encode(&Value::from(300.0)),
        notepack::encode(&Value::from(300u16))
    );

    // Numbers beyond 32 bits, negative ones, a fraction; `undefined` members are left out.
    let node_request = "85a3756964a7656d6974746572a47479706507a16ecf0000010000000000a36e6567d2fffeee90a166cb3fb999999999999a";
    let v: Value = serde_json::from_str(
        r#"{"uid":"emitter","type":7,"n":1099511627776,"neg":-70000,"f":0.1}"#,
    )
    .unwrap();
    assert_eq!(hex(&notepack::encode(&v)), node_request);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn subscriptions_are_the_node_adapters_channels() {
    let n = node(1);
    let uid = n.c.uid().to_owned();
    assert_eq!(uid.len(), 6);
    let ClusterTransmit::Subscribe { channels, patterns } = n.c.subscriptions() else {
        panic!()
    };
    assert_eq!(
        channels,
        vec![
            "socket.io-request#/#".to_owned(),
            "socket.io-response#/#".to_owned(),
            format!("socket.io-response#/#{uid}#"),
        ]
    );
    assert_eq!(patterns, vec!["socket.io#/#*".to_owned()]);
}

#[test]
fn a_broadcast_reaches_the_other_servers_sockets_by_room_and_except() {
    let mut nodes = cluster(2);
    let a = nodes[1].h.connect("s1", "/");
    let b = nodes[1].h.connect("s2", "/");
    let c = nodes[1].h.connect("s3", "/");
    nodes[1].h.server.join(&a, [Str::from("r1")]).unwrap();
    nodes[1]
        .h
        .server
        .join(&b, [Str::from("r1"), Str::from("r2")])
        .unwrap();
    let target = Target::room("r1").except("r2");
    let event = Event::new("news", &(1, "x")).unwrap();
    nodes[0].c.broadcast("/", &target, &event, false);
    run(&mut nodes, None);
    let wire = nodes[1].h.out();
    assert_eq!(
        wire,
        vec![Out::Send("s1".into(), vec![r#"42["news",1,"x"]"#.into()])],
        "only r1 minus r2 on the other server"
    );
    // The sender's own message comes back from Redis and is ignored.
    assert!(nodes[0].h.out().is_empty());
    let _ = c;
}

#[test]
fn a_broadcast_to_everyone_but_the_sender_leaves_out_the_senders_room() {
    let mut nodes = cluster(2);
    let other = nodes[1].h.connect("s1", "/");
    let sender = SocketId::new(Str::from("senderid".to_owned()));
    let target = Target::all().excluding(sender);
    nodes[0].c.broadcast("/", &target, &ev("hi"), false);
    run(&mut nodes, None);
    assert_eq!(nodes[1].h.wire(), vec![r#"42["hi"]"#.to_owned()]);
    let _ = other;
}

#[test]
fn fetch_sockets_gathers_every_server_and_times_out_without_all_answers() {
    let mut nodes = cluster(3);
    nodes[0].h.connect("s0", "/");
    nodes[1].h.connect("s1", "/");
    nodes[2].h.connect("s2", "/");
    let now = nodes[0].h.now;
    let Node { h, c, .. } = &mut nodes[0];
    let id = c.fetch_sockets(now, &h.server, "/", &Target::all());
    run(&mut nodes, None);
    match nodes[0].events.pop() {
        Some(ClusterEvent::FetchDone {
            request,
            sockets,
            complete: true,
        }) => {
            assert_eq!(request, id);
            assert_eq!(sockets.len(), 3);
            assert_eq!(sockets[0].handshake.query("token"), Some("abc"));
        }
        other => panic!("{other:?}"),
    }

    // Redis counts four servers, three answer: the request ends at its deadline.
    let Node { h, c, .. } = &mut nodes[0];
    let id = c.fetch_sockets(now, &h.server, "/", &Target::all());
    run(&mut nodes, Some(4));
    assert!(nodes[0].events.is_empty());
    let deadline = nodes[0].c.poll_timeout().unwrap();
    assert_eq!(deadline, now + Duration::from_millis(5000));
    nodes[0]
        .c
        .handle_timeout(deadline - Duration::from_millis(1));
    assert!(nodes[0].c.poll_event().is_none(), "early is a no-op");
    nodes[0].c.handle_timeout(deadline);
    match nodes[0].c.poll_event() {
        Some(ClusterEvent::FetchDone {
            request,
            sockets,
            complete: false,
        }) => {
            assert_eq!(request, id);
            assert_eq!(sockets.len(), 3);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn server_side_emit_with_ack_gets_one_answer_per_other_server() {
    let mut nodes = cluster(3);
    let now = nodes[0].h.now;
    let id = nodes[0]
        .c
        .server_side_emit(now, "/", vec![Value::from("question")], true)
        .unwrap();
    run(&mut nodes, None);
    assert!(
        nodes[0].events.is_empty(),
        "the sender does not hear itself"
    );
    for (i, n) in nodes.iter_mut().enumerate().skip(1) {
        match n.events.pop() {
            Some(ClusterEvent::ServerSideEmit {
                args,
                reply: Some(to),
                ..
            }) => {
                assert_eq!(args, vec![Value::from("question")]);
                n.c.reply(to, Value::from(i as u64));
            }
            other => panic!("{other:?}"),
        }
    }
    run(&mut nodes, None);
    match nodes[0].events.pop() {
        Some(ClusterEvent::ServerSideEmitDone {
            request,
            mut responses,
            complete: true,
        }) => {
            assert_eq!(request, id);
            responses.sort_by_key(|v| v.as_u64());
            assert_eq!(responses, vec![Value::from(1u64), Value::from(2u64)]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn room_operations_apply_on_the_other_servers_not_twice_on_the_sender() {
    let mut nodes = cluster(2);
    let a = nodes[1].h.connect("s1", "/");
    nodes[1].h.server.join(&a, [Str::from("r1")]).unwrap();
    nodes[0]
        .c
        .sockets_join("/", &Target::room("r1"), &[Str::from("joined")]);
    run(&mut nodes, None);
    assert!(nodes[1]
        .h
        .server
        .rooms(&a)
        .unwrap()
        .contains(&Str::from("joined")));
    nodes[0]
        .c
        .sockets_leave("/", &Target::all(), &[Str::from("joined")]);
    run(&mut nodes, None);
    assert!(!nodes[1]
        .h
        .server
        .rooms(&a)
        .unwrap()
        .contains(&Str::from("joined")));
    nodes[0]
        .c
        .disconnect_sockets("/", &Target::room("r1"), false);
    run(&mut nodes, None);
    let reasons = reasons(&nodes[1].h.events());
    assert_eq!(reasons[0].2, "server namespace disconnect");
}

#[test]
fn malformed_messages_are_ignored() {
    let mut n = node(1);
    let now = n.h.now;
    for (channel, body) in [
        ("socket.io#/#", &b"\xc1"[..]),
        ("socket.io#/#", &b"\x93\xa1x\xc0\xc0"[..]),
        ("socket.io-request#/#", &b"{not json"[..]),
        ("socket.io-request#/#", &br#"{"type":99}"#[..]),
        ("socket.io-response#/#", &br#"{"requestId":"nope"}"#[..]),
        ("other", &b""[..]),
    ] {
        n.c.handle_message(now, &mut n.h.server, channel.as_bytes(), body);
    }
    assert!(n.h.out().is_empty());
    assert!(n.c.poll_event().is_none());
}

/// Hands the server's finished broadcast acks to the cluster, as the async layer does.
fn forward_ack_done(n: &mut Node) {
    for e in n.h.events() {
        if let SocketEvent::BroadcastAckDone { id, responses, .. } = e {
            let now = n.h.now;
            assert!(n.c.handle_local_ack_done(now, id, &responses));
        }
    }
}

#[test]
fn a_broadcast_with_ack_collects_every_servers_clients_answers() {
    let mut nodes = cluster(2);
    nodes[0].h.connect("s0", "/");
    nodes[1].h.connect("s1", "/");
    nodes[1].h.connect("s2", "/");
    let now = nodes[0].h.now;
    let event = ev("q");
    let timeout = Duration::from_secs(2);
    let local = nodes[0]
        .h
        .server
        .broadcast_with_ack(now, "/", &Target::all(), event.clone(), Some(timeout))
        .unwrap();
    let id = nodes[0]
        .c
        .broadcast_with_ack(now, "/", &Target::all(), &event, timeout, local, 1);
    run(&mut nodes, None);
    // Every client got the event with its server's ack id; each answers.
    assert_eq!(nodes[0].h.wire(), vec![r#"420["q"]"#.to_owned()]);
    assert_eq!(
        nodes[1].h.wire(),
        vec![r#"420["q"]"#.to_owned(), r#"420["q"]"#.to_owned()]
    );
    nodes[0].h.text("s0", r#"30["a0"]"#);
    forward_ack_done(&mut nodes[0]);
    nodes[1].h.text("s1", r#"30["a1"]"#);
    nodes[1].h.text("s2", r#"30["a2",{"extra":1}]"#);
    forward_ack_done(&mut nodes[1]);
    run(&mut nodes, None);
    match nodes[0].events.pop() {
        Some(ClusterEvent::BroadcastAckDone {
            request,
            responses,
            complete: true,
        }) => {
            assert_eq!(request, id);
            let mut firsts: Vec<String> = responses
                .iter()
                .map(|(_, p)| p.deserialize::<(String,)>().unwrap().0)
                .collect();
            firsts.sort();
            assert_eq!(firsts, ["a0", "a1", "a2"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_broadcast_with_ack_times_out_when_a_client_does_not_answer() {
    let mut nodes = cluster(2);
    nodes[1].h.connect("s1", "/");
    let now = nodes[0].h.now;
    let event = ev("q");
    let timeout = Duration::from_secs(2);
    let local = nodes[0]
        .h
        .server
        .broadcast_with_ack(now, "/", &Target::all(), event.clone(), Some(timeout))
        .unwrap();
    nodes[0]
        .c
        .broadcast_with_ack(now, "/", &Target::all(), &event, timeout, local, 0);
    forward_ack_done(&mut nodes[0]);
    run(&mut nodes, None);
    assert!(
        nodes[0].events.is_empty(),
        "waits for the other server's client"
    );
    nodes[0].c.handle_timeout(now + timeout);
    match nodes[0].c.poll_event() {
        Some(ClusterEvent::BroadcastAckDone {
            responses,
            complete: false,
            ..
        }) => assert!(responses.is_empty()),
        other => panic!("{other:?}"),
    }
}
