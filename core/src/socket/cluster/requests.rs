//! This server's requests that wait for answers from the others: `fetch_sockets`,
//! `server_side_emit` with ack and broadcasts with ack (server counts, responses, deadlines).

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::message::{self, Kind};
use super::{Cluster, ClusterEvent, ClusterTransmit, RequestId};
use crate::msgpack;
use crate::socket::server::{BroadcastAckId, SocketId, SocketInfo, SocketServer, Target};
use crate::socket::{Event, Payload, Value};
use crate::{Map, Str};

pub(super) enum Pending {
    Fetch {
        sockets: Vec<SocketInfo>,
        expected: Option<usize>,
        received: usize,
    },
    Emit {
        expected: Option<usize>,
        responses: Vec<Value>,
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
    message: Option<(String, Bytes)>,
    pending: Pending,
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
        let mut m = self.request_head(Kind::RemoteFetch);
        m.insert("requestId", Value::from(wire_id.as_str()));
        m.insert("opts", Value::Object(message::opts(target, None)));
        let msg = (
            self.request_channel(nsp),
            Bytes::from(message::json(&Value::Object(m))),
        );
        self.start(
            now,
            nsp,
            id,
            wire_id,
            Some(msg),
            Pending::Fetch {
                sockets: local,
                expected: None,
                received: 1,
            },
        )
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
        let mut m = self.request_head(Kind::ServerSideEmit);
        let channel = self.request_channel(nsp);
        if !ack {
            m.insert("data", Value::Array(args));
            self.publish(channel, message::json(&Value::Object(m)));
            return None;
        }
        let (id, wire_id) = self.new_request();
        m.insert("requestId", Value::from(wire_id.as_str()));
        m.insert("data", Value::Array(args));
        let msg = (channel, Bytes::from(message::json(&Value::Object(m))));
        let pending = Pending::Emit {
            expected: None,
            responses: Vec::new(),
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
        let mut m = self.request_head(Kind::Broadcast);
        m.insert("requestId", Value::from(wire_id.as_str()));
        m.insert("packet", message::packet(nsp, event).unwrap_or(Value::Null));
        m.insert("opts", Value::Object(message::opts(target, Some(flags))));
        let channel = self.request_channel(nsp);
        self.publish(channel.clone(), msgpack::encode(&Value::Object(m)));
        let token = id.0;
        self.requests.insert(
            id.0,
            Request {
                wire_id: wire_id.clone(),
                deadline: now + timeout,
                message: None,
                pending: Pending::BroadcastAck {
                    local,
                    local_done: false,
                    expected_servers: None,
                    servers: 1,
                    expected_clients: local_count,
                    responses: Vec::new(),
                },
            },
        );
        self.by_wire.insert(wire_id, id.0);
        self.transmits
            .push_back(ClusterTransmit::CountServers { channel, token });
        id
    }

    /// The number of subscribers of a request channel, asked by
    /// [`ClusterTransmit::CountServers`]; `None` if Redis could not tell (counts as this
    /// server alone).
    pub fn handle_server_count(&mut self, now: Instant, token: u64, count: Option<usize>) {
        let count = count.unwrap_or(1).max(1);
        let Some(r) = self.requests.get_mut(&token) else {
            return;
        };
        match &mut r.pending {
            Pending::Fetch { expected, .. } => *expected = Some(count),
            Pending::Emit { expected, .. } => *expected = Some(count - 1),
            Pending::BroadcastAck {
                expected_servers, ..
            } => *expected_servers = Some(count),
        }
        let wait = match &r.pending {
            Pending::Fetch { .. } => count > 1,
            Pending::Emit { .. } => count > 1,
            Pending::BroadcastAck { .. } => true,
        };
        if wait {
            if let Some((channel, payload)) = r.message.take() {
                self.transmits
                    .push_back(ClusterTransmit::Publish { channel, payload });
            }
        }
        self.check(now, token);
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
        if let Some((nsp, request)) = self.remote_acks.remove(&id) {
            for (_, payload) in responses {
                let first = first_arg(payload);
                let mut m = Map::new();
                m.insert("type", Value::from(Kind::BroadcastAck as u8));
                m.insert("requestId", Value::from(request.as_str()));
                m.insert("packet", first);
                let channel = self.response_channel(&nsp);
                self.publish(channel, msgpack::encode(&Value::Object(m)));
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
                self.check(now, k);
                true
            }
            None => false,
        }
    }

    /// Ends the requests whose deadline passed (incomplete). Safe to call early.
    pub fn handle_timeout(&mut self, now: Instant) {
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

    fn new_request(&mut self) -> (RequestId, String) {
        let id = self.next_request;
        self.next_request += 1;
        let wire = self.ids.next_sid().as_str()[..6].to_owned();
        (RequestId(id), wire)
    }

    fn start(
        &mut self,
        now: Instant,
        nsp: &str,
        id: RequestId,
        wire_id: String,
        message: Option<(String, Bytes)>,
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
        self.transmits.push_back(ClusterTransmit::CountServers {
            channel: self.request_channel(nsp),
            token: id.0,
        });
        id
    }

    /// Ends request `k` if it has all it waits for.
    fn check(&mut self, _now: Instant, k: u64) {
        let Some(r) = self.requests.get(&k) else {
            return;
        };
        let done = match &r.pending {
            Pending::Fetch {
                expected, received, ..
            } => expected.is_some_and(|e| *received >= e),
            Pending::Emit {
                expected,
                responses,
            } => expected.is_some_and(|e| responses.len() >= e),
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

    pub(super) fn on_response(&mut self, now: Instant, body: &[u8]) {
        let Some(res) = message::decode_body(body) else {
            return;
        };
        let Some(k) = res
            .get("requestId")
            .and_then(Value::as_str)
            .and_then(|r| self.by_wire.get(r).copied())
        else {
            return;
        };
        let Some(r) = self.requests.get_mut(&k) else {
            return;
        };
        match &mut r.pending {
            Pending::Fetch {
                sockets, received, ..
            } => {
                let Some(list) = res.get("sockets").and_then(Value::as_array) else {
                    return;
                };
                *received += 1;
                sockets.extend(list.iter().filter_map(message::socket_from_value));
            }
            Pending::Emit { responses, .. } => {
                responses.push(res.get("data").cloned().unwrap_or(Value::Null));
            }
            Pending::BroadcastAck {
                servers,
                expected_clients,
                responses,
                ..
            } => match Kind::from_value(res.get("type")) {
                Some(Kind::BroadcastClientCount) => {
                    *servers += 1;
                    *expected_clients +=
                        res.get("clientCount").and_then(Value::as_u64).unwrap_or(0) as usize;
                }
                Some(Kind::BroadcastAck) => {
                    let arg = res.get("packet").cloned().unwrap_or(Value::Null);
                    responses.push((
                        SocketId::new(Str::from(String::new())),
                        Payload::from_value(&Value::Array(vec![arg])),
                    ));
                }
                _ => return,
            },
        }
        self.check(now, k);
    }
}

/// The first argument of an ack (what the Node adapter forwards to the requesting server).
fn first_arg(payload: &Payload) -> Value {
    match payload.to_value() {
        Ok(Value::Array(mut a)) if !a.is_empty() => a.swap_remove(0),
        _ => Value::Null,
    }
}
