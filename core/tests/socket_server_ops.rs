//! Random sequences of Engine.IO inputs, timeouts and application commands: the Socket.IO
//! server never panics, and its bookkeeping agrees with the events it reported.

use std::time::{Duration, Instant};

use bytes::Bytes;
use hashbrown::HashSet;
use proptest::prelude::*;
use sio_core::engine::server::CloseReason;
use sio_core::engine::Packet as EioPacket;
use sio_core::socket::server::{
    ConnInfo, ConnectId, EngineCommand, RecoveryConfig, SocketEvent, SocketId, SocketServer,
    SocketServerConfig, Target,
};
use sio_core::socket::{Event, Payload};
use sio_core::Str;

#[derive(Debug, Clone)]
enum Op {
    Open(u8),
    Text(u8, String),
    Recover(u8),
    Binary(u8),
    Close(u8, u8),
    Advance(u16),
    Accept(u8),
    Reject(u8),
    Emit(u8),
    EmitAck(u8),
    Ack(u8, u8),
    Broadcast(bool),
    Join(u8),
    Disconnect(u8, bool),
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_owned()),
        Just("0/a,".to_owned()),
        Just("0/zzz,".to_owned()),
        Just("1".to_owned()),
        Just("1/a,".to_owned()),
        Just(r#"2["e",1]"#.to_owned()),
        Just(r#"2/a,["e"]"#.to_owned()),
        Just(r#"27["q"]"#.to_owned()),
        Just("30[]".to_owned()),
        Just("31[1]".to_owned()),
        Just(r#"51-["b",{"_placeholder":true,"num":0}]"#.to_owned()),
        Just("2{}".to_owned()),
        "[0-6/a,\\[\\]{}\"0-9-]{0,12}",
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        any::<u8>().prop_map(Op::Open),
        (any::<u8>(), text()).prop_map(|(s, t)| Op::Text(s, t)),
        any::<u8>().prop_map(Op::Recover),
        any::<u8>().prop_map(Op::Binary),
        (any::<u8>(), any::<u8>()).prop_map(|(s, r)| Op::Close(s, r)),
        (0u16..60_000).prop_map(Op::Advance),
        any::<u8>().prop_map(Op::Accept),
        any::<u8>().prop_map(Op::Reject),
        any::<u8>().prop_map(Op::Emit),
        any::<u8>().prop_map(Op::EmitAck),
        (any::<u8>(), any::<u8>()).prop_map(|(s, a)| Op::Ack(s, a)),
        any::<bool>().prop_map(Op::Broadcast),
        any::<u8>().prop_map(Op::Join),
        (any::<u8>(), any::<bool>()).prop_map(|(s, c)| Op::Disconnect(s, c)),
    ]
}

const REASONS: [CloseReason; 4] = [
    CloseReason::TransportClose,
    CloseReason::PingTimeout,
    CloseReason::ParseError,
    CloseReason::ForcedClose,
];

fn pick<T: Clone>(items: &[T], i: u8) -> Option<T> {
    (!items.is_empty()).then(|| items[usize::from(i) % items.len()].clone())
}

struct World {
    server: SocketServer,
    now: Instant,
    requests: Vec<ConnectId>,
    connected: HashSet<SocketId>,
    pids: Vec<String>,
}

impl World {
    fn drain(&mut self) {
        while let Some(c) = self.server.poll_engine_command() {
            if let EngineCommand::Send { frames, .. } = c {
                for f in frames {
                    if let sio_core::engine::Frame::Text(t) = f {
                        if let Some(pid) = t.as_str().split("\"pid\":\"").nth(1) {
                            self.pids.push(pid.trim_end_matches("\"}").to_owned());
                        }
                    }
                }
            }
        }
        while let Some(e) = self.server.poll_event() {
            match e {
                SocketEvent::ConnectRequest { request, .. } => self.requests.push(request),
                SocketEvent::Connected { socket, .. } => assert!(self.connected.insert(socket)),
                SocketEvent::Disconnected { socket, .. } => assert!(self.connected.remove(&socket)),
                _ => {}
            }
        }
        for s in &self.connected {
            assert!(self.server.is_connected(s));
        }
        let count = self.server.socket_count("/") + self.server.socket_count("/a");
        assert_eq!(count, self.connected.len());
    }
}

fn sid(i: u8) -> Str {
    Str::from(format!("S{}", i % 4))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_sequence_keeps_the_books(ops in proptest::collection::vec(op(), 1..60), recovery: bool) {
        let config = SocketServerConfig {
            id_seed: [5; 32],
            recovery: recovery.then(RecoveryConfig::default),
            ..SocketServerConfig::default()
        };
        let mut server = SocketServer::new(config);
        server.add_namespace("/a");
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        let mut w = World { server, now, requests: Vec::new(), connected: HashSet::new(), pids: Vec::new() };
        for op in ops {
            let live: Vec<SocketId> = w.connected.iter().cloned().collect();
            let now = w.now;
            match op {
                Op::Open(s) => w.server.handle_engine_open(now, sid(s), ConnInfo::default()),
                Op::Text(s, t) => {
                    w.server.handle_engine_message(now, &sid(s), EioPacket::Message(Str::from(t)))
                }
                Op::Recover(s) => {
                    if let Some(pid) = pick(&w.pids, s) {
                        let auth = format!(r#"0{{"pid":"{pid}","offset":"0"}}"#);
                        w.server.handle_engine_message(now, &sid(s), EioPacket::Message(Str::from(auth)));
                    }
                }
                Op::Binary(s) => w.server.handle_engine_message(
                    now,
                    &sid(s),
                    EioPacket::Binary(Bytes::from_static(&[1, 2])),
                ),
                Op::Close(s, r) => {
                    w.server.handle_engine_close(now, &sid(s), REASONS[usize::from(r) % 4])
                }
                Op::Advance(ms) => {
                    w.now += Duration::from_millis(u64::from(ms) * 10);
                    w.server.handle_timeout(w.now);
                    let next = w.server.poll_timeout();
                    prop_assert!(next.is_none_or(|at| at > w.now), "an expired timer survived");
                }
                Op::Accept(i) => {
                    if let Some(r) = pick(&w.requests, i) {
                        let _ = w.server.accept_connect(now, r);
                    }
                }
                Op::Reject(i) => {
                    if let Some(r) = pick(&w.requests, i) {
                        let _ = w.server.reject_connect(r, "no", None);
                    }
                }
                Op::Emit(i) => {
                    if let Some(s) = pick(&live, i) {
                        w.server.emit(&s, Event::new("x", &()).unwrap()).unwrap();
                    }
                }
                Op::EmitAck(i) => {
                    if let Some(s) = pick(&live, i) {
                        let t = Some(Duration::from_secs(1));
                        w.server.emit_with_ack(now, &s, Event::new("x", &()).unwrap(), t).unwrap();
                    }
                }
                Op::Ack(i, a) => {
                    if let Some(s) = pick(&live, i) {
                        let _ = w.server.ack(&s, u64::from(a % 8), Payload::ack(&()).unwrap());
                    }
                }
                Op::Broadcast(with_ack) => {
                    let e = Event::new("b", &()).unwrap();
                    if with_ack {
                        let t = Some(Duration::from_secs(2));
                        w.server.broadcast_with_ack(now, "/", &Target::room("r"), e, t).unwrap();
                    } else {
                        w.server.broadcast("/", &Target::all().except("r"), e).unwrap();
                    }
                }
                Op::Join(i) => {
                    if let Some(s) = pick(&live, i) {
                        w.server.join(&s, [Str::from("r")]).unwrap();
                    }
                }
                Op::Disconnect(i, close) => {
                    if let Some(s) = pick(&live, i) {
                        w.server.disconnect(now, &s, close).unwrap();
                    }
                }
            }
            w.drain();
        }
    }
}

#[test]
fn the_server_can_move_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SocketServer>();
}
