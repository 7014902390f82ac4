//! What other servers (and emitters) publish: broadcasts to apply, and requests to carry
//! out and answer.

use std::time::{Duration, Instant};

use hashbrown::HashSet;

use super::message::{self, Kind};
use super::{Cluster, ClusterEvent, ReplyTo};
use crate::msgpack;
use crate::socket::server::{SocketId, SocketServer, Target};
use crate::socket::Value;
use crate::{Map, Str};

impl Cluster {
    pub(super) fn on_broadcast(
        &mut self,
        server: &mut SocketServer,
        channel: &str,
        payload: &[u8],
    ) {
        let Ok(Value::Array(msg)) = msgpack::decode(payload) else {
            return;
        };
        let [uid, packet, opts, ..] = msg.as_slice() else {
            return;
        };
        if uid.as_str() == Some(self.uid.as_str()) {
            return;
        }
        let Some((nsp, event)) = message::packet_event(packet) else {
            return;
        };
        if !channel.starts_with(&format!("{}#{}#", self.config.key, nsp))
            || !self.namespaces.contains(nsp.as_str())
        {
            return;
        }
        let target = message::target(Some(opts));
        let volatile = opts
            .get("flags")
            .and_then(|f| f.get("volatile"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let _ = if volatile {
            server.broadcast_volatile(&nsp, &target, event)
        } else {
            server.broadcast(&nsp, &target, event)
        };
    }

    pub(super) fn on_request(
        &mut self,
        now: Instant,
        server: &mut SocketServer,
        nsp: &str,
        body: &[u8],
    ) {
        if !self.namespaces.contains(nsp) {
            return;
        }
        let Some(req) = message::decode_body(body) else {
            return;
        };
        let Some(kind) = Kind::from_value(req.get("type")) else {
            return;
        };
        let own = req.get("uid").and_then(Value::as_str) == Some(self.uid.as_str());
        let request_id = req
            .get("requestId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mine = request_id
            .as_ref()
            .is_some_and(|r| self.by_wire.contains_key(r));
        if own || mine {
            return; // This server did its part when it sent the request.
        }
        let target = message::target(req.get("opts"));
        let respond = |this: &mut Self, mut m: Map| {
            if let Some(r) = &request_id {
                m.insert("requestId", Value::from(r.as_str()));
                let channel = this.response_channel(nsp);
                this.publish(channel, message::json(&Value::Object(m)));
            }
        };
        match kind {
            Kind::RemoteJoin | Kind::RemoteLeave => {
                let join = kind == Kind::RemoteJoin;
                if req.get("opts").is_some() {
                    let rooms = message::rooms(req.get("rooms"));
                    if join {
                        let _ = server.sockets_join(nsp, &target, &rooms);
                    } else {
                        for room in &rooms {
                            let _ = server.sockets_leave(nsp, &target, room);
                        }
                    }
                    return;
                }
                // The older per-socket form: `{sid, room}`, answered.
                let (Some(sid), Some(room)) = (
                    req.get("sid").and_then(Value::as_str),
                    req.get("room").and_then(message::room),
                ) else {
                    return;
                };
                let socket = SocketId::new(Str::from(sid.to_owned()));
                let ok = if join {
                    server.join(&socket, [room]).is_ok()
                } else {
                    server.leave(&socket, &room).is_ok()
                };
                if ok {
                    respond(self, Map::new());
                }
            }
            Kind::RemoteDisconnect => {
                let close = req.get("close").and_then(Value::as_bool).unwrap_or(false);
                if req.get("opts").is_some() {
                    let _ = server.disconnect_sockets(now, nsp, &target, close);
                    return;
                }
                let Some(sid) = req.get("sid").and_then(Value::as_str) else {
                    return;
                };
                let socket = SocketId::new(Str::from(sid.to_owned()));
                if server.disconnect(now, &socket, close).is_ok() {
                    respond(self, Map::new());
                }
            }
            Kind::RemoteFetch => {
                let sockets = server.fetch_sockets(nsp, &target).unwrap_or_default();
                let list = sockets.iter().map(message::socket_to_value).collect();
                let mut m = Map::new();
                m.insert("sockets", Value::Array(list));
                respond(self, m);
            }
            Kind::Sockets => {
                let target = Target {
                    rooms: message::rooms(req.get("rooms")),
                    ..Target::default()
                };
                let sockets = server.fetch_sockets(nsp, &target).unwrap_or_default();
                let ids = sockets.iter().map(|s| Value::from(s.id.as_str())).collect();
                let mut m = Map::new();
                m.insert("sockets", Value::Array(ids));
                respond(self, m);
            }
            Kind::AllRooms => {
                let sockets = server
                    .fetch_sockets(nsp, &Target::all())
                    .unwrap_or_default();
                let mut seen = HashSet::new();
                let mut rooms = Vec::new();
                for r in sockets.iter().flat_map(|s| s.rooms.iter()) {
                    if seen.insert(r.clone()) {
                        rooms.push(Value::from(r.as_str()));
                    }
                }
                let mut m = Map::new();
                m.insert("rooms", Value::Array(rooms));
                respond(self, m);
            }
            Kind::ServerSideEmit => {
                let Some(args) = req.get("data").and_then(Value::as_array) else {
                    return;
                };
                let reply = request_id.map(|request| ReplyTo {
                    nsp: Str::from(nsp.to_owned()),
                    request,
                    requester: String::new(),
                });
                self.events.push_back(ClusterEvent::ServerSideEmit {
                    nsp: Str::from(nsp.to_owned()),
                    args: args.clone(),
                    reply,
                });
            }
            Kind::Broadcast => {
                let Some(request) = request_id else { return };
                let Some((pnsp, event)) = req.get("packet").and_then(message::packet_event) else {
                    return;
                };
                if pnsp != nsp {
                    return;
                }
                let timeout = req
                    .get("opts")
                    .and_then(|o| o.get("flags"))
                    .and_then(|f| f.get("timeout"))
                    .and_then(Value::as_u64)
                    .map_or(self.config.requests_timeout, Duration::from_millis);
                let count = server.fetch_sockets(nsp, &target).map_or(0, |s| s.len());
                let Ok(local) = server.broadcast_with_ack(now, nsp, &target, event, Some(timeout))
                else {
                    return;
                };
                let mut m = Map::new();
                m.insert("type", Value::from(Kind::BroadcastClientCount as u8));
                m.insert("requestId", Value::from(request.as_str()));
                m.insert("clientCount", Value::from(count));
                let channel = self.response_channel(nsp);
                self.publish(channel, message::json(&Value::Object(m)));
                let remote = super::RemoteAck {
                    nsp: Str::from(nsp.to_owned()),
                    request,
                    requester: String::new(),
                };
                self.remote_acks.insert(local, remote);
            }
            Kind::BroadcastClientCount | Kind::BroadcastAck => {}
        }
    }
}
