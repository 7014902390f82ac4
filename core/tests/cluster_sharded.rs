//! The sharded adapter's protocol (`createShardedAdapter` of `@socket.io/redis-adapter` 8.3)
//! sans-IO: servers wired through an in-memory sharded pub/sub bus that behaves as a Redis
//! cluster does for it (`SPUBLISH` reaches the subscribers of that exact channel, the sender
//! included; `PUBSUB SHARDNUMSUB` counts them), in virtual time.

mod support;

use sio_core::socket::cluster::{
    Cluster, ClusterConfig, ClusterEvent, ClusterTransmit, SubscriptionMode,
};
use support::*;

struct Node {
    h: Harness,
    c: Cluster,
    channels: Vec<String>,
    events: Vec<ClusterEvent>,
    /// Every message received, by channel.
    seen: Vec<String>,
}

fn node(seed: u8, mode: SubscriptionMode) -> Node {
    let mut c = Cluster::new(ClusterConfig {
        seed: [seed; 32],
        ..ClusterConfig::sharded(mode)
    });
    let mut h = Harness::with(SocketServerConfig {
        id_seed: [seed; 32],
        ..SocketServerConfig::default()
    });
    c.add_namespace(h.now, "/");
    if c.wants_room_lifecycle() {
        h.server.watch_rooms(true);
    }
    Node {
        h,
        c,
        channels: Vec::new(),
        events: Vec::new(),
        seen: Vec::new(),
    }
}

/// Moves every transmit through the bus until nothing moves (room changes of each server go
/// to its cluster first, as the async layer does).
fn run(nodes: &mut [Node]) {
    loop {
        let mut moved = false;
        for i in 0..nodes.len() {
            while let Some(change) = nodes[i].h.server.poll_room_lifecycle() {
                nodes[i].c.handle_room_lifecycle(&change);
            }
            while let Some(t) = nodes[i].c.poll_transmit() {
                moved = true;
                match t {
                    ClusterTransmit::SSubscribe { channels } => {
                        for ch in channels {
                            if !nodes[i].channels.contains(&ch) {
                                nodes[i].channels.push(ch);
                            }
                        }
                    }
                    ClusterTransmit::SUnsubscribe { channels } => {
                        nodes[i].channels.retain(|c| !channels.contains(c));
                    }
                    ClusterTransmit::CountShardSubscribers { channel, token } => {
                        let n = nodes
                            .iter()
                            .filter(|n| n.channels.contains(&channel))
                            .count();
                        let now = nodes[i].h.now;
                        nodes[i].c.handle_server_count(now, token, Some(n));
                    }
                    ClusterTransmit::SPublish { channel, payload } => {
                        for n in nodes.iter_mut().filter(|n| n.channels.contains(&channel)) {
                            let now = n.h.now;
                            n.seen.push(channel.clone());
                            n.c.handle_message(now, &mut n.h.server, channel.as_bytes(), &payload);
                        }
                    }
                    other => panic!("the sharded adapter does not ask for {other:?}"),
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

fn cluster(n: usize, mode: SubscriptionMode) -> Vec<Node> {
    let mut nodes: Vec<Node> = (0..n as u8).map(|i| node(i + 1, mode)).collect();
    run(&mut nodes);
    nodes
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn a_server_subscribes_to_its_namespace_channel_and_its_own_answer_channel() {
    let nodes = cluster(1, SubscriptionMode::Dynamic);
    let uid = nodes[0].c.uid().to_owned();
    assert_eq!(uid.len(), 16);
    assert!(uid.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        sorted(nodes[0].channels.clone()),
        sorted(vec![
            "socket.io#/#".to_owned(),
            format!("socket.io#/#{uid}#")
        ])
    );
}

#[test]
fn in_dynamic_mode_a_public_room_gets_a_channel_while_it_has_sockets() {
    let mut nodes = cluster(1, SubscriptionMode::Dynamic);
    let a = nodes[0].h.connect("s1", "/");
    nodes[0].h.server.join(&a, [Str::from("news")]).unwrap();
    run(&mut nodes);
    assert!(nodes[0].channels.contains(&"socket.io#/#news#".to_owned()));
    assert!(
        !nodes[0].channels.iter().any(|c| c.contains(a.as_str())),
        "no channel for the socket's own room"
    );
    nodes[0].h.server.leave(&a, "news").unwrap();
    run(&mut nodes);
    assert!(!nodes[0].channels.contains(&"socket.io#/#news#".to_owned()));
    // After a lost connection every channel is subscribed again.
    nodes[0].h.server.join(&a, [Str::from("sport")]).unwrap();
    run(&mut nodes);
    nodes[0].channels.clear();
    nodes[0].c.handle_connection_lost();
    run(&mut nodes);
    assert_eq!(nodes[0].channels.len(), 3);
    // Redis ending a wanted subscription brings it back; an unwanted one stays away.
    nodes[0].channels.clear();
    nodes[0].c.handle_unsubscribed("socket.io#/#sport#");
    nodes[0].c.handle_unsubscribed("socket.io#/#news#");
    run(&mut nodes);
    assert_eq!(nodes[0].channels, vec!["socket.io#/#sport#".to_owned()]);
}

#[test]
fn in_dynamic_private_mode_a_sockets_own_room_gets_a_channel_and_in_static_mode_none_do() {
    let mut nodes = cluster(1, SubscriptionMode::DynamicPrivate);
    let a = nodes[0].h.connect("s1", "/");
    run(&mut nodes);
    assert!(nodes[0]
        .channels
        .contains(&format!("socket.io#/#{}#", a.as_str())));
    let mut nodes = cluster(1, SubscriptionMode::Static);
    let a = nodes[0].h.connect("s1", "/");
    nodes[0].h.server.join(&a, [Str::from("news")]).unwrap();
    run(&mut nodes);
    assert_eq!(nodes[0].channels.len(), 2);
}

#[test]
fn a_broadcast_to_one_room_travels_on_the_rooms_channel_to_the_servers_that_have_it() {
    let mut nodes = cluster(3, SubscriptionMode::Dynamic);
    let a = nodes[1].h.connect("s1", "/");
    nodes[1].h.server.join(&a, [Str::from("news")]).unwrap();
    nodes[2].h.connect("s2", "/");
    run(&mut nodes);
    for n in nodes.iter_mut() {
        n.seen.clear();
    }
    nodes[0]
        .c
        .broadcast("/", &Target::room("news"), &ev("n"), false);
    run(&mut nodes);
    assert_eq!(nodes[1].h.wire(), vec![r#"42["n"]"#.to_owned()]);
    assert!(nodes[2].h.wire().is_empty());
    assert!(nodes[2].seen.is_empty(), "the third server got nothing");
    assert_eq!(nodes[1].seen, vec!["socket.io#/#news#".to_owned()]);

    // A room that looks like a socket id, and two rooms, go on the namespace's channel.
    nodes[0]
        .c
        .broadcast("/", &Target::room(a.as_str().to_owned()), &ev("p"), false);
    nodes[0]
        .c
        .broadcast("/", &Target::room("news").to("other"), &ev("two"), false);
    run(&mut nodes);
    assert_eq!(
        nodes[1].h.wire(),
        vec![r#"42["p"]"#.to_owned(), r#"42["two"]"#.to_owned()]
    );
    assert_eq!(nodes[2].seen, vec!["socket.io#/#".to_owned(); 2]);
}

#[test]
fn fetch_sockets_and_server_side_emit_with_ack_are_answered_on_the_askers_channel() {
    let mut nodes = cluster(3, SubscriptionMode::Dynamic);
    nodes[0].h.connect("s0", "/");
    nodes[1].h.connect("s1", "/");
    nodes[2].h.connect("s2", "/");
    let now = nodes[0].h.now;
    let Node { h, c, .. } = &mut nodes[0];
    let id = c.fetch_sockets(now, &h.server, "/", &Target::all());
    run(&mut nodes);
    match nodes[0].events.pop() {
        Some(ClusterEvent::FetchDone {
            request,
            sockets,
            complete: true,
        }) => {
            assert_eq!(request, id);
            assert_eq!(sockets.len(), 3);
            assert_eq!(sockets[1].handshake.query("token"), Some("abc"));
        }
        other => panic!("{other:?}"),
    }
    let asker = format!("socket.io#/#{}#", nodes[0].c.uid());
    assert!(nodes[0].seen.iter().filter(|c| **c == asker).count() >= 2);

    let id = nodes[0]
        .c
        .server_side_emit(now, "/", vec![Value::from("q"), Value::from(1)], true)
        .unwrap();
    run(&mut nodes);
    for (i, n) in nodes.iter_mut().enumerate().skip(1) {
        match n.events.pop() {
            Some(ClusterEvent::ServerSideEmit {
                args,
                reply: Some(to),
                ..
            }) => {
                assert_eq!(args, vec![Value::from("q"), Value::from(1)]);
                n.c.reply(to, Value::from(i as u64));
            }
            other => panic!("{other:?}"),
        }
    }
    run(&mut nodes);
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
fn a_broadcast_with_ack_collects_every_servers_clients_answers() {
    let mut nodes = cluster(2, SubscriptionMode::Dynamic);
    let a = nodes[1].h.connect("s1", "/");
    nodes[1].h.server.join(&a, [Str::from("r")]).unwrap();
    run(&mut nodes);
    let now = nodes[0].h.now;
    let timeout = Duration::from_secs(2);
    let local = nodes[0]
        .h
        .server
        .broadcast_with_ack(now, "/", &Target::room("r"), ev("q"), Some(timeout))
        .unwrap();
    let id =
        nodes[0]
            .c
            .broadcast_with_ack(now, "/", &Target::room("r"), &ev("q"), timeout, local, 0);
    for e in nodes[0].h.events() {
        if let SocketEvent::BroadcastAckDone { id, responses, .. } = e {
            assert!(nodes[0].c.handle_local_ack_done(now, id, &responses));
        }
    }
    run(&mut nodes);
    // With an ack the broadcast uses the namespace's channel, not the room's.
    assert!(nodes[1].seen.contains(&"socket.io#/#".to_owned()));
    assert_eq!(nodes[1].h.wire(), vec![r#"420["q"]"#.to_owned()]);
    nodes[1].h.text("s1", r#"30["yes"]"#);
    for e in nodes[1].h.events() {
        if let SocketEvent::BroadcastAckDone { id, responses, .. } = e {
            assert!(nodes[1].c.handle_local_ack_done(now, id, &responses));
        }
    }
    run(&mut nodes);
    match nodes[0].events.pop() {
        Some(ClusterEvent::BroadcastAckDone {
            request,
            responses,
            complete: true,
        }) => {
            assert_eq!(request, id);
            assert_eq!(responses.len(), 1);
            assert_eq!(responses[0].1.deserialize::<(String,)>().unwrap().0, "yes");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn room_operations_and_disconnects_apply_on_the_other_servers() {
    let mut nodes = cluster(2, SubscriptionMode::Dynamic);
    let a = nodes[1].h.connect("s1", "/");
    nodes[0]
        .c
        .sockets_join("/", &Target::all(), &[Str::from("joined")]);
    run(&mut nodes);
    assert!(nodes[1]
        .h
        .server
        .rooms(&a)
        .unwrap()
        .contains(&Str::from("joined")));
    assert!(
        nodes[1]
            .channels
            .contains(&"socket.io#/#joined#".to_owned()),
        "a room created by a remote join gets its channel"
    );
    nodes[0]
        .c
        .sockets_leave("/", &Target::all(), &[Str::from("joined")]);
    run(&mut nodes);
    assert!(!nodes[1]
        .h
        .server
        .rooms(&a)
        .unwrap()
        .contains(&Str::from("joined")));
    nodes[0].c.disconnect_sockets("/", &Target::all(), false);
    run(&mut nodes);
    let reasons = reasons(&nodes[1].h.events());
    assert_eq!(reasons[0].2, "server namespace disconnect");
}

#[test]
fn malformed_and_foreign_messages_are_ignored() {
    let mut n = node(1, SubscriptionMode::Dynamic);
    let now = n.h.now;
    n.h.connect("s1", "/");
    let uid = n.c.uid().to_owned();
    for (channel, body) in [
        ("socket.io#/#", &b"\xc1"[..]),
        ("socket.io#/#", &b"{not json"[..]),
        ("socket.io#/#", &br#"{"type":99,"uid":"x","nsp":"/"}"#[..]),
        (
            "socket.io#/#",
            &br#"{"type":3,"uid":"x","nsp":"/other","data":{}}"#[..],
        ),
        (
            "socket.io#/#",
            &br#"{"type":3,"uid":"x","nsp":"/","data":{"packet":5}}"#[..],
        ),
        (
            "socket.io#/#",
            &br#"{"type":8,"uid":"x","nsp":"/","data":{"requestId":"no"}}"#[..],
        ),
    ] {
        n.c.handle_message(now, &mut n.h.server, channel.as_bytes(), body);
    }
    // This server's own message is not applied twice.
    let own = format!(
        r#"{{"type":3,"uid":"{uid}","nsp":"/","data":{{"packet":{{"type":2,"data":["x"],"nsp":"/"}},"opts":{{"rooms":[],"except":[]}}}}}}"#
    );
    n.c.handle_message(now, &mut n.h.server, b"socket.io#/#", own.as_bytes());
    assert!(n.h.out().is_empty());
    assert!(n.c.poll_event().is_none());
}

#[test]
fn a_node_broadcast_without_the_packets_namespace_reaches_the_messages_namespace() {
    // socket.io's `ClusterAdapter` publishes the packet before its `nsp` is set.
    let mut n = node(1, SubscriptionMode::Dynamic);
    n.c.add_namespace(n.h.now, "/admin");
    n.h.server.add_namespace("/admin");
    n.h.connect("s1", "/admin");
    let now = n.h.now;
    let body = br#"{"type":3,"uid":"other","nsp":"/admin","data":{"packet":{"type":2,"data":["hi",1]},"opts":{"rooms":[],"except":[],"flags":{}}}}"#;
    n.c.handle_message(now, &mut n.h.server, b"socket.io#/admin#", body);
    assert_eq!(n.h.wire(), vec![r#"42/admin,["hi",1]"#.to_owned()]);
}
