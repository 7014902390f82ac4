//! This server's requests that wait for answers from the others: `fetch_sockets`,
//! `server_side_emit` with ack and broadcasts with ack (server counts, responses, deadlines),
//! for every adapter. How many servers answer comes from Redis (`PUBSUB NUMSUB` for the
//! classic adapter, `PUBSUB SHARDNUMSUB` for the sharded one) or from the servers heard
//! recently (the streams adapter, which then waits for those servers by uid).

use std::time::{Duration, Instant};

use bytes::Bytes;
use hashbrown::HashSet;

use super::adapter_msg::MsgType;
use super::message::{self, Kind};
use super::{Cluster, ClusterEvent, ClusterTransmit, RequestId};
use crate::msgpack;
use crate::socket::server::{BroadcastAckId, SocketId, SocketInfo, SocketServer, Target};
use crate::socket::{Event, Payload, Value};
use crate::{Map, Str};

pub(super) enum Pending {
    Fetch {
        sockets: Vec<SocketInfo>,
        /// Servers, this one included.
        expected: Option<usize>,
        received: usize,
        /// The servers still to answer, by uid (streams adapter).
        waiting: Option<HashSet<String>>,
    },
    Emit {
        /// Other servers.
        expected: Option<usize>,
        responses: Vec<Value>,
        waiting: Option<HashSet<String>>,
    },
    BroadcastAck {
        local: BroadcastAckId,
        local_done: bool,
        expected_servers: Option<usize>,
        servers: usize,
        expected_clients: usize,
        responses: Vec<(SocketId, Payload)>,
    },
}

pub(super) struct Request {
    wire_id: String,
    pub(super) deadline: Instant,
    /// Published once the server count is known (requests that wait for answers).
    message: Option<ClusterTransmit>,
    pending: Pending,
}

/// An answer to one of this server's requests, whatever the adapter's encoding.
pub(super) enum Response {
    Sockets(Vec<SocketInfo>),
    Answer(Value),
    ClientCount(usize),
    Ack(Value),
}

impl Cluster {
    /// Gathers `target`'s sockets from every server: this server's now, the others' as they
    /// answer; ends with [`ClusterEvent::FetchDone`].
    pub fn fetch_sockets(
        &mut self,
        now: Instant,
        server: &SocketServer,
        nsp: &str,
        target: &Target,
    ) -> RequestId {
        let local = server.fetch_sockets(nsp, target).unwrap_or_default();
        let (id, wire_id) = self.new_request();
        let msg = if self.is_classic() {
            let mut m = self.request_head(Kind::RemoteFetch);
            m.insert("requestId", Value::from(wire_id.as_str()));
            m.insert("opts", Value::Object(message::opts(target, None)));
            ClusterTransmit::Publish {
                channel: self.request_channel(nsp),
                payload: Bytes::from(message::json(&Value::Object(m))),
            }
        } else {
            let mut d = Map::new();
            d.insert("opts", Value::Object(message::opts(target, None)));
            d.insert("requestId", Value::from(wire_id.as_str()));
            self.adapter_transmit(nsp, MsgType::FetchSockets, Some(d), None)
        };
        let pending = Pending::Fetch {
            sockets: local,
            expected: None,
            received: 1,
            waiting: None,
        };
        self.start(now, nsp, id, wire_id, Some(msg), pending)
    }

    /// Sends a server-side event (`args[0]` is its name) to every other server of namespace
    /// `nsp`. With `ack`, each answers once: [`ClusterEvent::ServerSideEmitDone`] reports the
    /// answers (returns `None` without `ack`).
    pub fn server_side_emit(
        &mut self,
        now: Instant,
        nsp: &str,
        args: Vec<Value>,
        ack: bool,
    ) -> Option<RequestId> {
        let (id, wire_id) = if ack {
            let (id, w) = self.new_request();
            (Some(id), Some(w))
        } else {
            (None, None)
        };
        let msg = if self.is_classic() {
            let mut m = self.request_head(Kind::ServerSideEmit);
            if let Some(w) = &wire_id {
                m.insert("requestId", Value::from(w.as_str()));
            }
            m.insert("data", Value::Array(args));
            ClusterTransmit::Publish {
                channel: self.request_channel(nsp),
                payload: Bytes::from(message::json(&Value::Object(m))),
            }
        } else {
            let mut d = Map::new();
            if let Some(w) = &wire_id {
                d.insert("requestId", Value::from(w.as_str()));
            }
            d.insert("packet", Value::Array(args));
            self.adapter_transmit(nsp, MsgType::ServerSideEmit, Some(d), None)
        };
        let (Some(id), Some(wire_id)) = (id, wire_id) else {
            self.transmits.push_back(msg);
            return None;
        };
        let pending = Pending::Emit {
            expected: None,
            responses: Vec::new(),
            waiting: None,
        };
        Some(self.start(now, nsp, id, wire_id, Some(msg), pending))
    }

    /// Broadcasts `event` with an ack to every server's sockets of `target`. Make the local
    /// broadcast first ([`SocketServer::broadcast_with_ack`], its id is `local`, reaching
    /// `local_count` sockets) and give its [`BroadcastAckDone`](crate::socket::server::SocketEvent::BroadcastAckDone)
    /// to [`handle_local_ack_done`](Self::handle_local_ack_done).
    #[allow(clippy::too_many_arguments)]
    pub fn broadcast_with_ack(
        &mut self,
        now: Instant,
        nsp: &str,
        target: &Target,
        event: &Event,
        timeout: Duration,
        local: BroadcastAckId,
        local_count: usize,
    ) -> RequestId {
        let (id, wire_id) = self.new_request();
        let mut flags = Map::new();
        flags.insert("timeout", Value::from(timeout.as_millis() as u64));
        let packet = message::packet(nsp, event).unwrap_or(Value::Null);
        let opts = Value::Object(message::opts(target, Some(flags)));
        if self.is_classic() {
            let mut m = self.request_head(Kind::Broadcast);
            m.insert("requestId", Value::from(wire_id.as_str()));
            m.insert("packet", packet);
            m.insert("opts", opts);
            let channel = self.request_channel(nsp);
            self.publish(channel, msgpack::encode(&Value::Object(m)));
        } else {
            let mut d = Map::new();
            d.insert("packet", packet);
            d.insert("requestId", Value::from(wire_id.as_str()));
            d.insert("opts", opts);
            self.adapter_publish(nsp, MsgType::Broadcast, Some(d));
        }
        let pending = Pending::BroadcastAck {
            local,
            local_done: false,
            expected_servers: None,
            servers: 1,
            expected_clients: local_count,
            responses: Vec::new(),
        };
        self.requests.insert(
            id.0,
            Request {
                wire_id: wire_id.clone(),
                deadline: now + timeout,
                message: None,
                pending,
            },
        );
        self.by_wire.insert(wire_id, id.0);
        self.count_servers(now, nsp, id.0);
        id
    }

    /// The number of subscribers of a request channel, asked by
    /// [`ClusterTransmit::CountServers`] or [`ClusterTransmit::CountShardSubscribers`];
    /// `None` if Redis could not tell (counts as this server alone).
    pub fn handle_server_count(&mut self, now: Instant, token: u64, count: Option<usize>) {
        let _ = now;
        self.set_expected(token, count.unwrap_or(1).max(1), None);
    }

    /// A local broadcast with ack is over (the server's
    /// [`BroadcastAckDone`](crate::socket::server::SocketEvent::BroadcastAckDone)). Returns
    /// whether it was one of the cluster's (then the application must not see it).
    pub fn handle_local_ack_done(
        &mut self,
        now: Instant,
        id: BroadcastAckId,
        responses: &[(SocketId, Payload)],
    ) -> bool {
        let _ = now;
        if let Some(remote) = self.remote_acks.remove(&id) {
            for (_, payload) in responses {
                let first = first_arg(payload);
                if self.is_classic() {
                    let mut m = Map::new();
                    m.insert("type", Value::from(Kind::BroadcastAck as u8));
                    m.insert("requestId", Value::from(remote.request.as_str()));
                    m.insert("packet", first);
                    let channel = self.response_channel(&remote.nsp);
                    self.publish(channel, msgpack::encode(&Value::Object(m)));
                } else {
                    let mut d = Map::new();
                    d.insert("requestId", Value::from(remote.request.as_str()));
                    d.insert("packet", first);
                    self.adapter_respond(&remote.requester, &remote.nsp, MsgType::BroadcastAck, d);
                }
            }
            return true;
        }
        let found = self
            .requests
            .iter_mut()
            .find_map(|(k, r)| match &mut r.pending {
                Pending::BroadcastAck {
                    local,
                    local_done,
                    responses: all,
                    ..
                } if *local == id => {
                    *local_done = true;
                    all.extend(responses.iter().cloned());
                    Some(*k)
                }
                _ => None,
            });
        match found {
            Some(k) => {
                self.check(k);
                true
            }
            None => false,
        }
    }

    /// Ends the requests whose deadline passed (incomplete), and for the streams adapter
    /// sends due heartbeats and forgets servers no longer heard from. Safe to call early.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.streams_timeout(now);
        let expired: Vec<u64> = self
            .requests
            .iter()
            .filter(|(_, r)| r.deadline <= now)
            .map(|(k, _)| *k)
            .collect();
        for k in expired {
            self.finish(k, false);
        }
    }

    pub(super) fn requests_deadline(&self) -> Option<Instant> {
        self.requests.values().map(|r| r.deadline).min()
    }

    /// A fresh request: its local id and its id on the wire (6 characters for the classic
    /// adapter, 16 hexadecimal digits for the others, as the Node adapters make them).
    fn new_request(&mut self) -> (RequestId, String) {
        let id = self.next_request;
        self.next_request += 1;
        let wire = if self.is_classic() {
            self.ids.next_sid().as_str()[..6].to_owned()
        } else {
            self.hex_id()
        };
        (RequestId(id), wire)
    }

    fn start(
        &mut self,
        now: Instant,
        nsp: &str,
        id: RequestId,
        wire_id: String,
        message: Option<ClusterTransmit>,
        pending: Pending,
    ) -> RequestId {
        self.requests.insert(
            id.0,
            Request {
                wire_id: wire_id.clone(),
                deadline: now + self.config.requests_timeout,
                message,
                pending,
            },
        );
        self.by_wire.insert(wire_id, id.0);
        self.count_servers(now, nsp, id.0);
        id
    }

    /// Asks how many servers there are (the classic and sharded adapters ask Redis; the
    /// streams adapter knows the servers it heard from).
    fn count_servers(&mut self, now: Instant, nsp: &str, token: u64) {
        if self.streams.is_some() {
            let others = self.live_nodes(now, nsp);
            self.set_expected(token, others.len() + 1, Some(others));
        } else if self.sharded.is_some() {
            let channel = self.sharded_main_channel(nsp);
            self.transmits
                .push_back(ClusterTransmit::CountShardSubscribers { channel, token });
        } else {
            let channel = self.request_channel(nsp);
            self.transmits
                .push_back(ClusterTransmit::CountServers { channel, token });
        }
    }

    /// Request `token` learns the number of servers (`count`, this one included) and, with
    /// the streams adapter, which the others are.
    fn set_expected(&mut self, token: u64, count: usize, others: Option<HashSet<String>>) {
        let Some(r) = self.requests.get_mut(&token) else {
            return;
        };
        match &mut r.pending {
            Pending::Fetch {
                expected, waiting, ..
            } => {
                *expected = Some(count);
                *waiting = others;
            }
            Pending::Emit {
                expected, waiting, ..
            } => {
                *expected = Some(count - 1);
                *waiting = others;
            }
            Pending::BroadcastAck {
                expected_servers, ..
            } => *expected_servers = Some(count),
        }
        // Requests other than broadcasts with ack go out only if someone will answer.
        let wait = match &r.pending {
            Pending::Fetch { .. } | Pending::Emit { .. } => count > 1,
            Pending::BroadcastAck { .. } => true,
        };
        if wait {
            if let Some(t) = r.message.take() {
                self.transmits.push_back(t);
            }
        }
        self.check(token);
    }

    /// Ends request `k` if it has all it waits for.
    fn check(&mut self, k: u64) {
        let Some(r) = self.requests.get(&k) else {
            return;
        };
        let done = match &r.pending {
            Pending::Fetch {
                expected,
                received,
                waiting,
                ..
            } => match waiting {
                Some(w) => expected.is_some() && w.is_empty(),
                None => expected.is_some_and(|e| *received >= e),
            },
            Pending::Emit {
                expected,
                responses,
                waiting,
            } => match waiting {
                Some(w) => expected.is_some() && w.is_empty(),
                None => expected.is_some_and(|e| responses.len() >= e),
            },
            Pending::BroadcastAck {
                local_done,
                expected_servers,
                servers,
                expected_clients,
                responses,
                ..
            } => {
                *local_done
                    && expected_servers.is_some_and(|e| *servers >= e)
                    && responses.len() >= *expected_clients
            }
        };
        if done {
            self.finish(k, true);
        }
    }

    fn finish(&mut self, k: u64, complete: bool) {
        let Some(r) = self.requests.remove(&k) else {
            return;
        };
        self.by_wire.remove(&r.wire_id);
        let request = RequestId(k);
        self.events.push_back(match r.pending {
            Pending::Fetch { sockets, .. } => ClusterEvent::FetchDone {
                request,
                sockets,
                complete,
            },
            Pending::Emit { responses, .. } => ClusterEvent::ServerSideEmitDone {
                request,
                responses,
                complete,
            },
            Pending::BroadcastAck { responses, .. } => ClusterEvent::BroadcastAckDone {
                request,
                responses,
                complete,
            },
        });
    }

    /// A server is gone (the streams adapter stopped hearing from it): requests no longer
    /// wait for it.
    pub(super) fn forget_server(&mut self, uid: &str) {
        let mut touched = Vec::new();
        for (k, r) in &mut self.requests {
            if let Pending::Fetch {
                waiting: Some(w), ..
            }
            | Pending::Emit {
                waiting: Some(w), ..
            } = &mut r.pending
            {
                if w.remove(uid) {
                    touched.push(*k);
                }
            }
        }
        for k in touched {
            self.check(k);
        }
    }

    /// The request a response's `requestId` names, if it is one of this server's.
    pub(super) fn request_of(&self, request_id: Option<&str>) -> Option<u64> {
        self.by_wire.get(request_id?).copied()
    }

    /// Applies one answer (from the server `from`, when known) to request `k`.
    pub(super) fn apply_response(&mut self, k: u64, response: Response, from: Option<&str>) {
        let Some(r) = self.requests.get_mut(&k) else {
            return;
        };
        match (&mut r.pending, response) {
            (
                Pending::Fetch {
                    sockets,
                    received,
                    waiting,
                    ..
                },
                Response::Sockets(list),
            ) => {
                if let (Some(w), Some(from)) = (waiting.as_mut(), from) {
                    if !w.remove(from) {
                        return; // Not awaited (or answered twice).
                    }
                }
                *received += 1;
                sockets.extend(list);
            }
            (
                Pending::Emit {
                    responses, waiting, ..
                },
                Response::Answer(v),
            ) => {
                if let (Some(w), Some(from)) = (waiting.as_mut(), from) {
                    if !w.remove(from) {
                        return;
                    }
                }
                responses.push(v);
            }
            (
                Pending::BroadcastAck {
                    servers,
                    expected_clients,
                    ..
                },
                Response::ClientCount(n),
            ) => {
                *servers += 1;
                *expected_clients += n;
            }
            (Pending::BroadcastAck { responses, .. }, Response::Ack(arg)) => {
                responses.push((
                    SocketId::new(Str::from(String::new())),
                    Payload::from_value(&Value::Array(vec![arg])),
                ));
            }
            _ => return,
        }
        self.check(k);
    }

    /// A response of the classic adapter.
    pub(super) fn on_response(&mut self, body: &[u8]) {
        let Some(res) = message::decode_body(body) else {
            return;
        };
        let Some(k) = self.request_of(res.get("requestId").and_then(Value::as_str)) else {
            return;
        };
        let Some(r) = self.requests.get(&k) else {
            return;
        };
        let response = match &r.pending {
            Pending::Fetch { .. } => {
                let Some(list) = res.get("sockets").and_then(Value::as_array) else {
                    return;
                };
                Response::Sockets(list.iter().filter_map(message::socket_from_value).collect())
            }
            Pending::Emit { .. } => {
                Response::Answer(res.get("data").cloned().unwrap_or(Value::Null))
            }
            Pending::BroadcastAck { .. } => match Kind::from_value(res.get("type")) {
                Some(Kind::BroadcastClientCount) => Response::ClientCount(
                    res.get("clientCount").and_then(Value::as_u64).unwrap_or(0) as usize,
                ),
                Some(Kind::BroadcastAck) => {
                    Response::Ack(res.get("packet").cloned().unwrap_or(Value::Null))
                }
                _ => return,
            },
        };
        self.apply_response(k, response, None);
    }
}

/// The first argument of an ack (what the Node adapters forward to the requesting server).
fn first_arg(payload: &Payload) -> Value {
    match payload.to_value() {
        Ok(Value::Array(mut a)) if !a.is_empty() => a.swap_remove(0),
        _ => Value::Null,
    }
}
