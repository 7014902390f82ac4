//! The sharded adapter of `@socket.io/redis-adapter` 8.3 (`createShardedAdapter`): its
//! channels and subscriptions.
//!
//! Each namespace has a main channel `socket.io#/#` (every server subscribes; its subscriber
//! count is the number of servers) and each server an answer channel `socket.io#/#<uid>#`.
//! In the dynamic modes a broadcast without ack to exactly one room travels on the room's
//! channel `socket.io#/#room#`, which only the servers that have that room subscribe to
//! (dynamic: public rooms, and rooms that do not look like a socket id; dynamic-private: every
//! room). Sharded channels live on the master that owns their slot, so each subscription is
//! its own `SSUBSCRIBE`; after a failover the driver reports the lost connection
//! ([`Cluster::handle_connection_lost`]) and every channel is subscribed again on its new
//! master.

use std::time::Instant;

use hashbrown::HashSet;

use super::adapter_msg::{self, MsgType};
use super::{Cluster, ClusterTransmit, SubscriptionMode};
use crate::socket::server::{RoomLifecycle, SocketServer};
use crate::socket::Value;
use crate::Map;

/// The sharded adapter's state: its mode and the channels it is subscribed to.
#[derive(Debug)]
pub(super) struct Sharded {
    mode: SubscriptionMode,
    channels: HashSet<String>,
}

impl Sharded {
    pub(super) fn new(mode: SubscriptionMode) -> Self {
        Sharded {
            mode,
            channels: HashSet::new(),
        }
    }

    pub(super) fn channels(&self) -> impl Iterator<Item = &String> {
        self.channels.iter()
    }
}

/// The Node adapter's `looksLikeASocketId`: a string of 20 (UTF-16) characters.
fn looks_like_a_socket_id(room: &str) -> bool {
    room.encode_utf16().count() == 20
}

impl Cluster {
    /// Whether rooms are watched for their own channels (dynamic modes).
    pub fn wants_room_lifecycle(&self) -> bool {
        self.sharded
            .as_ref()
            .is_some_and(|s| s.mode != SubscriptionMode::Static)
    }

    /// A room was created or deleted on the server (with
    /// [`SocketServer::watch_rooms`] on): in the dynamic modes the sharded adapter subscribes
    /// to its channel, or unsubscribes.
    pub fn handle_room_lifecycle(&mut self, change: &RoomLifecycle) {
        let Some(sh) = &mut self.sharded else {
            return;
        };
        let separate = match sh.mode {
            SubscriptionMode::Static => false,
            SubscriptionMode::Dynamic => !change.private,
            SubscriptionMode::DynamicPrivate => true,
        };
        if !separate || !self.namespaces.contains(change.nsp.as_str()) {
            return;
        }
        let channel = format!("{}#{}#{}#", self.config.key, change.nsp, change.room);
        let channels = vec![channel.clone()];
        if change.created {
            if sh.channels.insert(channel) {
                self.transmits
                    .push_back(ClusterTransmit::SSubscribe { channels });
            }
        } else if sh.channels.remove(&channel) {
            self.transmits
                .push_back(ClusterTransmit::SUnsubscribe { channels });
        }
    }

    /// The driver's connection to a node was lost (a failover, a restart): every channel is
    /// subscribed again (`SSUBSCRIBE` goes to whichever master owns each slot now). Messages
    /// published on a channel between the loss and the new subscription are lost.
    pub fn handle_connection_lost(&mut self) {
        if self.sharded.is_some() {
            let all = self.subscriptions();
            self.transmits.push_back(all);
        }
    }

    /// Redis ended a subscription itself (`sunsubscribe` pushed when a slot moves to another
    /// master): subscribe again if the channel is still wanted.
    pub fn handle_unsubscribed(&mut self, channel: &str) {
        if self
            .sharded
            .as_ref()
            .is_some_and(|s| s.channels.contains(channel))
        {
            self.transmits.push_back(ClusterTransmit::SSubscribe {
                channels: vec![channel.to_owned()],
            });
        }
    }

    pub(super) fn sharded_main_channel(&self, nsp: &str) -> String {
        format!("{}#{}#", self.config.key, nsp)
    }

    pub(super) fn sharded_add_namespace(&mut self, nsp: &str) {
        let channels = vec![
            self.sharded_main_channel(nsp),
            format!("{}#{}#{}#", self.config.key, nsp, self.uid),
        ];
        if let Some(sh) = &mut self.sharded {
            sh.channels.extend(channels.iter().cloned());
        }
        self.transmits
            .push_back(ClusterTransmit::SSubscribe { channels });
    }

    /// The Node adapter's `computeChannel`: a broadcast without ack to one room goes on the
    /// room's channel in the dynamic modes; everything else on the namespace's.
    pub(super) fn sharded_channel(&self, nsp: &str, kind: MsgType, data: Option<&Map>) -> String {
        let mode = self
            .sharded
            .as_ref()
            .map_or(SubscriptionMode::Static, |s| s.mode);
        let room = data
            .filter(|d| kind == MsgType::Broadcast && d.get("requestId").is_none())
            .and_then(|d| d.get("opts"))
            .and_then(|o| o.get("rooms"))
            .and_then(Value::as_array)
            .and_then(|r| match r.as_slice() {
                [Value::String(room)] => Some(room.as_str()),
                _ => None,
            });
        let dynamic = match (mode, room) {
            (SubscriptionMode::Dynamic, Some(r)) => !looks_like_a_socket_id(r),
            (SubscriptionMode::DynamicPrivate, Some(_)) => true,
            _ => false,
        };
        match room {
            Some(r) if dynamic => format!("{}#{}#{}#", self.config.key, nsp, r),
            _ => self.sharded_main_channel(nsp),
        }
    }

    /// A message on a sharded channel: answers on this server's own channel, the rest as
    /// messages of other servers.
    pub(super) fn sharded_message(
        &mut self,
        now: Instant,
        server: &mut SocketServer,
        channel: &str,
        payload: &[u8],
    ) {
        let Some(msg) = adapter_msg::decode_sharded(payload) else {
            return;
        };
        let mine = format!("{}#{}#{}#", self.config.key, msg.nsp, self.uid);
        if channel == mine {
            self.on_adapter_response(&msg);
        } else {
            self.on_adapter_message(now, server, msg, None);
        }
    }
}
