//! socket.io-adapter's `ClusterAdapter` messages both ways, for the sharded and the streams
//! adapters: where this server's messages go, and what the others' do here (broadcasts and
//! requests applied to the server and answered, answers to this server's requests).

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::adapter_msg::{self, Msg, MsgType};
use super::message;
use super::requests::Response;
use super::{Cluster, ClusterEvent, ClusterTransmit, RemoteAck, ReplyTo};
use crate::socket::server::SocketServer;
use crate::socket::Value;
use crate::{Map, Str};

impl Cluster {
    /// The transmit that carries a message of this server to every server of `nsp`: an
    /// `XADD` (streams, answered by entry id when `token` is set) or an `SPUBLISH` on the
    /// channel the sharded adapter picks for it.
    pub(super) fn adapter_transmit(
        &mut self,
        nsp: &str,
        kind: MsgType,
        data: Option<Map>,
        token: Option<u64>,
    ) -> ClusterTransmit {
        if let Some(st) = &self.streams {
            return ClusterTransmit::XAdd {
                stream: st.config.stream_name.clone(),
                max_len: st.config.max_len,
                fields: adapter_msg::encode_stream(&self.uid, nsp, kind, data.as_ref()),
                token,
            };
        }
        let channel = self.sharded_channel(nsp, kind, data.as_ref());
        ClusterTransmit::SPublish {
            channel,
            payload: Bytes::from(adapter_msg::encode_sharded(
                &self.uid,
                nsp,
                kind,
                data.as_ref(),
            )),
        }
    }

    /// Sends a message of this server to every server of `nsp`.
    pub(super) fn adapter_publish(&mut self, nsp: &str, kind: MsgType, data: Option<Map>) {
        let t = self.adapter_transmit(nsp, kind, data, None);
        self.transmits.push_back(t);
    }

    /// Answers server `requester`: on its own channel (sharded), or on the stream.
    pub(super) fn adapter_respond(&mut self, requester: &str, nsp: &str, kind: MsgType, data: Map) {
        if self.streams.is_some() {
            self.adapter_publish(nsp, kind, Some(data));
            return;
        }
        let channel = format!("{}#{}#{}#", self.config.key, nsp, requester);
        let payload = adapter_msg::encode_sharded(&self.uid, nsp, kind, Some(&data));
        self.transmits.push_back(ClusterTransmit::SPublish {
            channel,
            payload: Bytes::from(payload),
        });
    }

    /// A message from another server (this server's own are ignored), as the Node
    /// `ClusterAdapter.onMessage` (and, for the streams adapter, `ClusterAdapterWithHeartbeat`)
    /// handles it. `offset` is its stream entry's id.
    pub(super) fn on_adapter_message(
        &mut self,
        now: Instant,
        server: &mut SocketServer,
        msg: Msg,
        offset: Option<&str>,
    ) {
        if msg.uid == self.uid || !self.namespaces.contains(msg.nsp.as_str()) {
            return;
        }
        if self.streams.is_some() {
            self.heard(now, &msg.nsp, &msg.uid);
            match msg.kind {
                MsgType::InitialHeartbeat => {
                    self.adapter_publish(&msg.nsp, MsgType::Heartbeat, None);
                    return;
                }
                MsgType::Heartbeat => return,
                MsgType::AdapterClose => {
                    self.server_gone(&msg.nsp, &msg.uid);
                    return;
                }
                _ => {}
            }
        }
        let nsp = msg.nsp.as_str();
        let target = message::target(msg.data.get("opts"));
        match msg.kind {
            MsgType::Broadcast => self.on_adapter_broadcast(now, server, &msg, offset),
            MsgType::SocketsJoin => {
                let rooms = message::rooms(msg.data.get("rooms"));
                let _ = server.sockets_join(nsp, &target, &rooms);
            }
            MsgType::SocketsLeave => {
                for room in message::rooms(msg.data.get("rooms")) {
                    let _ = server.sockets_leave(nsp, &target, &room);
                }
            }
            MsgType::DisconnectSockets => {
                let close = msg.data.get("close").and_then(Value::as_bool);
                let _ = server.disconnect_sockets(now, nsp, &target, close.unwrap_or(false));
            }
            MsgType::FetchSockets => {
                let Some(request) = msg.request_id() else {
                    return;
                };
                let sockets = server.fetch_sockets(nsp, &target).unwrap_or_default();
                let list = sockets.iter().map(message::socket_to_value).collect();
                let mut d = Map::new();
                d.insert("requestId", Value::from(request));
                d.insert("sockets", Value::Array(list));
                self.adapter_respond(&msg.uid, nsp, MsgType::FetchSocketsResponse, d);
            }
            MsgType::ServerSideEmit => {
                let Some(args) = msg.data.get("packet").and_then(Value::as_array) else {
                    return;
                };
                let reply = msg.request_id().map(|request| ReplyTo {
                    nsp: Str::from(nsp.to_owned()),
                    request: request.to_owned(),
                    requester: msg.uid.clone(),
                });
                self.events.push_back(ClusterEvent::ServerSideEmit {
                    nsp: Str::from(nsp.to_owned()),
                    args: args.clone(),
                    reply,
                });
            }
            MsgType::FetchSocketsResponse
            | MsgType::ServerSideEmitResponse
            | MsgType::BroadcastClientCount
            | MsgType::BroadcastAck => self.on_adapter_response(&msg),
            MsgType::InitialHeartbeat | MsgType::Heartbeat | MsgType::AdapterClose => {}
        }
    }

    fn on_adapter_broadcast(
        &mut self,
        now: Instant,
        server: &mut SocketServer,
        msg: &Msg,
        offset: Option<&str>,
    ) {
        let nsp = msg.nsp.as_str();
        // The packet's own `nsp` is not on the wire here (socket.io sets it after publishing):
        // the message's namespace is the one.
        let Some((_, event)) = msg.data.get("packet").and_then(message::packet_event) else {
            return;
        };
        let opts = msg.data.get("opts");
        let target = message::target(opts);
        let flags = opts.and_then(|o| o.get("flags"));
        let Some(request) = msg.request_id() else {
            let volatile = flags
                .and_then(|f| f.get("volatile"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let _ = match offset {
                _ if volatile => server.broadcast_volatile(nsp, &target, event),
                Some(o) if server.external_sessions() => {
                    server.broadcast_at_offset(nsp, &target, event, o)
                }
                _ => server.broadcast(nsp, &target, event),
            };
            return;
        };
        let timeout = flags
            .and_then(|f| f.get("timeout"))
            .and_then(Value::as_u64)
            .map_or(self.config.requests_timeout, Duration::from_millis);
        let count = server.fetch_sockets(nsp, &target).map_or(0, |s| s.len());
        let Ok(local) = server.broadcast_with_ack(now, nsp, &target, event, Some(timeout)) else {
            return;
        };
        let mut d = Map::new();
        d.insert("requestId", Value::from(request));
        d.insert("clientCount", Value::from(count));
        self.adapter_respond(&msg.uid, nsp, MsgType::BroadcastClientCount, d);
        let remote = RemoteAck {
            nsp: Str::from(nsp.to_owned()),
            request: request.to_owned(),
            requester: msg.uid.clone(),
        };
        self.remote_acks.insert(local, remote);
    }

    /// An answer to one of this server's requests (`ClusterAdapter.onResponse`).
    pub(super) fn on_adapter_response(&mut self, msg: &Msg) {
        let Some(k) = self.request_of(msg.request_id()) else {
            return;
        };
        let d = &msg.data;
        let response = match msg.kind {
            MsgType::FetchSocketsResponse => {
                let Some(list) = d.get("sockets").and_then(Value::as_array) else {
                    return;
                };
                Response::Sockets(list.iter().filter_map(message::socket_from_value).collect())
            }
            MsgType::ServerSideEmitResponse => {
                Response::Answer(d.get("packet").cloned().unwrap_or(Value::Null))
            }
            MsgType::BroadcastClientCount => {
                let n = d.get("clientCount").and_then(Value::as_u64).unwrap_or(0);
                Response::ClientCount(n as usize)
            }
            MsgType::BroadcastAck => Response::Ack(d.get("packet").cloned().unwrap_or(Value::Null)),
            _ => return,
        };
        self.apply_response(k, response, Some(&msg.uid));
    }
}
