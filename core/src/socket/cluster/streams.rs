//! `@socket.io/redis-streams-adapter` 0.2: one Redis stream carries every message, servers
//! are known by their heartbeats, and connection state recovery's sessions live in Redis.
//!
//! - Reading: the driver reads the stream after the last offset seen ([`Cluster::stream_read`],
//!   `$` at first) and hands back the entries ([`Cluster::handle_stream_entries`]); the
//!   offset is kept here, so after Redis comes back the reading resumes where it stopped.
//! - Servers: each namespace says `INITIAL_HEARTBEAT` when it joins, `HEARTBEAT` every
//!   `heartbeat_interval`; a server not heard from for `heartbeat_timeout` no longer counts,
//!   and the requests waiting for it stop waiting.
//! - Offsets: with recovery on, a broadcast is delivered here only once `XADD` has given its
//!   entry id, which every recipient receives as the event's last argument
//!   ([`Cluster::handle_stream_added`]).
//! - Sessions: a socket that leaves for a recoverable reason is `SET` under
//!   `sio:session:<pid>` (base64 of msgpack `{sid, pid, rooms, data}`, expiring after the
//!   recovery window); a client that comes back with that pid and an offset still in the
//!   stream gets the session (taken out of Redis) and every broadcast after the offset that
//!   its rooms match, as the Node adapter's `restoreSession`.

use std::time::Instant;

use bytes::Bytes;
use hashbrown::{HashMap, HashSet};

use super::adapter_msg::{self, MsgType};
use super::{Cluster, ClusterTransmit, StreamEntry, StreamRead, StreamsConfig};
use crate::engine::base64;
use crate::msgpack;
use crate::socket::server::{
    ConnectId, FoundSession, KeptSession, SessionIo, SocketId, SocketServer, Target,
};
use crate::socket::{Event, Value};
use crate::{Map, Str};

/// Entries read per `XRANGE` while restoring a session.
const RANGE_COUNT: usize = 1000;
/// At most this many `XRANGE` calls per restoration (the Node adapter's
/// `RESTORE_SESSION_MAX_XRANGE_CALLS`).
const MAX_RANGE_CALLS: usize = 100;
/// `XREAD`'s `BLOCK`, as the Node adapter's (5 s).
const READ_BLOCK: std::time::Duration = std::time::Duration::from_millis(5000);

/// The streams adapter's state.
pub(super) struct Streams {
    pub(super) config: StreamsConfig,
    /// The id of the last entry read.
    offset: String,
    /// Per namespace, the other servers heard from and when.
    nodes: HashMap<String, HashMap<String, Instant>>,
    /// Per namespace, when to say `HEARTBEAT` next.
    heartbeats: HashMap<String, Instant>,
    /// Sessions and offsets go through Redis (the server has recovery on).
    sessions: bool,
    next_token: u64,
    /// Broadcasts waiting for their entry id before the local delivery.
    deferred: HashMap<u64, Deferred>,
    /// Session lookups in progress.
    restores: HashMap<u64, Restore>,
}

struct Deferred {
    nsp: String,
    target: Target,
    event: Event,
}

struct Restore {
    request: ConnectId,
    nsp: Str,
    /// The client's offset: the first entry read must be that one.
    offset: String,
    session: Option<KeptSession>,
    missed: Vec<Event>,
    calls: usize,
}

impl Streams {
    pub(super) fn new(config: StreamsConfig) -> Self {
        Streams {
            config,
            offset: "$".to_owned(),
            nodes: HashMap::new(),
            heartbeats: HashMap::new(),
            sessions: false,
            next_token: 0,
            deferred: HashMap::new(),
            restores: HashMap::new(),
        }
    }

    fn token(&mut self) -> u64 {
        self.next_token += 1;
        self.next_token
    }
}

impl Cluster {
    /// Where the driver reads the stream next (`None` unless this is the streams adapter).
    pub fn stream_read(&self) -> Option<StreamRead> {
        let st = self.streams.as_ref()?;
        Some(StreamRead {
            stream: st.config.stream_name.clone(),
            offset: st.offset.clone(),
            count: st.config.read_count,
            block: READ_BLOCK,
        })
    }

    /// Whether broadcasts wait for their stream offset before this server delivers them
    /// (the streams adapter with the server's sessions in Redis): then
    /// [`broadcast`](Self::broadcast) makes the local part itself, and a single socket's emit
    /// must go through it too (as a broadcast to the socket's room, as the reference does).
    pub fn defers_local(&self) -> bool {
        self.streams.as_ref().is_some_and(|s| s.sessions)
    }

    /// Keeps the server's connection state recovery sessions and offsets in Redis (streams
    /// adapter only; call with [`SocketServer::set_external_sessions`]).
    pub fn set_sessions(&mut self, on: bool) {
        if let Some(st) = &mut self.streams {
            st.sessions = on;
        }
    }

    /// Entries the driver read from the stream (in order; possibly none, after `BLOCK`
    /// ran out): each is applied, and the next read starts after the last.
    pub fn handle_stream_entries(
        &mut self,
        now: Instant,
        server: &mut SocketServer,
        entries: Vec<StreamEntry>,
    ) {
        for entry in entries {
            if let Some(st) = &mut self.streams {
                st.offset.clone_from(&entry.id);
            }
            if let Some(msg) = adapter_msg::decode_stream(&entry.fields) {
                self.on_adapter_message(now, server, msg, Some(&entry.id));
            }
        }
        self.streams_timeout(now);
    }

    /// The answer to an [`XAdd`](ClusterTransmit::XAdd) with a token: the entry's id, or
    /// `None` if Redis refused or could not be reached (the broadcast is then delivered
    /// here without an offset: it cannot be replayed).
    pub fn handle_stream_added(
        &mut self,
        now: Instant,
        server: &mut SocketServer,
        token: u64,
        id: Option<&str>,
    ) {
        let _ = now;
        let Some(d) = self
            .streams
            .as_mut()
            .and_then(|st| st.deferred.remove(&token))
        else {
            return;
        };
        let _ = match id {
            Some(id) => server.broadcast_at_offset(&d.nsp, &d.target, d.event, id),
            None => server.broadcast(&d.nsp, &d.target, d.event),
        };
    }

    /// A request of the server for its session store ([`SocketServer::poll_session_io`]).
    pub fn handle_session_io(&mut self, now: Instant, server: &mut SocketServer, io: SessionIo) {
        let Some(st) = &mut self.streams else {
            return;
        };
        match io {
            SessionIo::Persist { session, ttl } => {
                let key = format!("{}{}", st.config.session_key_prefix, session.pid);
                let value = Bytes::from(base64::encode(&msgpack::encode(&session_value(&session))));
                self.transmits
                    .push_back(ClusterTransmit::SetSession { key, value, ttl });
            }
            SessionIo::Lookup {
                request,
                nsp,
                pid,
                offset,
            } => {
                if !valid_offset(&offset) {
                    server.handle_session_found(now, request, None);
                    return;
                }
                let token = st.token();
                st.restores.insert(
                    token,
                    Restore {
                        request,
                        nsp,
                        offset: offset.to_string(),
                        session: None,
                        missed: Vec::new(),
                        calls: 1,
                    },
                );
                self.transmits.push_back(ClusterTransmit::TakeSession {
                    token,
                    key: format!("{}{}", st.config.session_key_prefix, pid),
                    stream: st.config.stream_name.clone(),
                    offset: offset.to_string(),
                    count: RANGE_COUNT,
                });
            }
        }
    }

    /// The answer to [`TakeSession`](ClusterTransmit::TakeSession): the session's value and
    /// the entries from the offset on, or `None` if Redis failed. The session is restored
    /// only if both were found (the first entry being the client's offset).
    pub fn handle_session_taken(
        &mut self,
        now: Instant,
        server: &mut SocketServer,
        token: u64,
        answer: Option<(Option<Bytes>, Vec<StreamEntry>)>,
    ) {
        let Some(mut r) = self.take_restore(token) else {
            return;
        };
        let Some((Some(value), entries)) = answer else {
            server.handle_session_found(now, r.request, None);
            return;
        };
        let session = decode_session(&value);
        // The offset must still be in the stream: otherwise events were trimmed away.
        let offset_found = entries.first().is_some_and(|e| e.id == r.offset);
        if session.is_none() || !offset_found {
            server.handle_session_found(now, r.request, None);
            return;
        }
        r.session = session;
        self.scan(now, server, token, r, &entries[1..], entries.len());
    }

    /// The answer to [`ReadRange`](ClusterTransmit::ReadRange), or `None` if Redis failed
    /// (the client then gets a new socket, as with the Node adapter).
    pub fn handle_range(
        &mut self,
        now: Instant,
        server: &mut SocketServer,
        token: u64,
        entries: Option<Vec<StreamEntry>>,
    ) {
        let Some(r) = self.take_restore(token) else {
            return;
        };
        match entries {
            Some(entries) => {
                let n = entries.len();
                self.scan(now, server, token, r, &entries, n);
            }
            None => server.handle_session_found(now, r.request, None),
        }
    }

    pub(super) fn streams_add_namespace(&mut self, now: Instant, nsp: &str) {
        let Some(st) = &mut self.streams else {
            return;
        };
        st.heartbeats
            .insert(nsp.to_owned(), now + st.config.heartbeat_interval);
        self.adapter_publish(nsp, MsgType::InitialHeartbeat, None);
    }

    pub(super) fn streams_deadline(&self) -> Option<Instant> {
        let st = self.streams.as_ref()?;
        let beats = st.heartbeats.values().copied().min();
        let silent = st
            .nodes
            .values()
            .flat_map(|m| m.values())
            .min()
            .map(|t| *t + st.config.heartbeat_timeout);
        match (beats, silent) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Heartbeats due, servers gone silent.
    pub(super) fn streams_timeout(&mut self, now: Instant) {
        let Some(st) = &mut self.streams else {
            return;
        };
        let interval = st.config.heartbeat_interval;
        let timeout = st.config.heartbeat_timeout;
        let mut due = Vec::new();
        for (nsp, at) in &mut st.heartbeats {
            if *at <= now {
                *at = now + interval;
                due.push(nsp.clone());
            }
        }
        let mut gone = Vec::new();
        for (nsp, nodes) in &mut st.nodes {
            nodes.retain(|uid, seen| {
                let alive = *seen + timeout > now;
                if !alive {
                    gone.push((nsp.clone(), uid.clone()));
                }
                alive
            });
        }
        for nsp in due {
            self.adapter_publish(&nsp, MsgType::Heartbeat, None);
        }
        for (_, uid) in gone {
            self.forget_server(&uid);
        }
    }

    /// The other servers of `nsp` heard from within the heartbeat timeout.
    pub(super) fn live_nodes(&self, now: Instant, nsp: &str) -> HashSet<String> {
        let Some(st) = &self.streams else {
            return HashSet::new();
        };
        let timeout = st.config.heartbeat_timeout;
        st.nodes
            .get(nsp)
            .map(|m| {
                m.iter()
                    .filter(|(_, seen)| **seen + timeout > now)
                    .map(|(uid, _)| uid.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A message of server `uid` in `nsp`: it is alive (emitters do not count).
    pub(super) fn heard(&mut self, now: Instant, nsp: &str, uid: &str) {
        if uid.is_empty() || uid == "emitter" {
            return;
        }
        if let Some(st) = &mut self.streams {
            st.nodes
                .entry_ref(nsp)
                .or_default()
                .insert(uid.to_owned(), now);
        }
    }

    /// Server `uid` said `ADAPTER_CLOSE`.
    pub(super) fn server_gone(&mut self, nsp: &str, uid: &str) {
        if let Some(st) = &mut self.streams {
            if let Some(m) = st.nodes.get_mut(nsp) {
                m.remove(uid);
            }
        }
        self.forget_server(uid);
    }

    /// Delivers `event` here once the stream has given it an offset.
    pub(super) fn defer_local(&mut self, nsp: &str, target: &Target, event: &Event) -> u64 {
        let Some(st) = &mut self.streams else {
            return 0;
        };
        let token = st.token();
        st.deferred.insert(
            token,
            Deferred {
                nsp: nsp.to_owned(),
                target: target.clone(),
                event: event.clone(),
            },
        );
        token
    }

    fn take_restore(&mut self, token: u64) -> Option<Restore> {
        self.streams.as_mut()?.restores.remove(&token)
    }

    /// Collects what the session missed from `entries`; reads on if a full batch came back.
    fn scan(
        &mut self,
        now: Instant,
        server: &mut SocketServer,
        token: u64,
        mut r: Restore,
        entries: &[StreamEntry],
        batch: usize,
    ) {
        let rooms = r
            .session
            .as_ref()
            .map(|s| s.rooms.clone())
            .unwrap_or_default();
        for e in entries {
            if let Some(ev) = missed_event(&r.nsp, &rooms, e) {
                r.missed.push(ev);
            }
        }
        let last = entries.last().map(|e| e.id.as_str());
        let next = last.and_then(next_offset);
        let Some(st) = &mut self.streams else {
            return;
        };
        if batch >= RANGE_COUNT && r.calls < MAX_RANGE_CALLS {
            if let Some(start) = next {
                r.calls += 1;
                let stream = st.config.stream_name.clone();
                st.restores.insert(token, r);
                self.transmits.push_back(ClusterTransmit::ReadRange {
                    token,
                    stream,
                    start,
                    count: RANGE_COUNT,
                });
                return;
            }
        }
        let found = r.session.map(|session| FoundSession {
            session,
            missed: r.missed,
        });
        server.handle_session_found(now, r.request, found);
    }
}

/// Whether `offset` looks like a stream id (`/^[0-9]+-[0-9]+$/`, as the Node adapter checks).
fn valid_offset(offset: &str) -> bool {
    let Some((ms, seq)) = offset.split_once('-') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(ms) && digits(seq)
}

/// The id right after `id` (`<ms>-<seq + 1>`, the Node adapter's `nextOffset`).
fn next_offset(id: &str) -> Option<String> {
    let (ms, seq) = id.split_once('-')?;
    let seq: u64 = seq.parse().ok()?;
    Some(format!("{ms}-{}", seq.checked_add(1)?))
}

/// A session as the Node adapter's `persistSession` stores it: `{sid, pid, rooms, data}`.
fn session_value(s: &KeptSession) -> Value {
    let mut m = Map::new();
    m.insert("sid", Value::from(s.id.as_str()));
    m.insert("pid", Value::from(s.pid.as_str()));
    m.insert(
        "rooms",
        Value::Array(s.rooms.iter().map(|r| Value::from(r.as_str())).collect()),
    );
    m.insert("data", s.data.clone());
    Value::Object(m)
}

fn decode_session(value: &[u8]) -> Option<KeptSession> {
    let v = msgpack::decode(&base64::decode(value).ok()?).ok()?;
    let sid = v.get("sid")?.as_str()?;
    let pid = v.get("pid")?.as_str()?;
    Some(KeptSession {
        id: SocketId::new(Str::from(sid.to_owned())),
        pid: Str::from(pid.to_owned()),
        rooms: super::message::rooms(v.get("rooms")),
        data: v.get("data").cloned().unwrap_or(Value::Null),
    })
}

/// The event of a stream entry a session with `rooms` missed, with the entry's id as its last
/// argument: a broadcast of the namespace whose target includes one of the rooms and
/// excludes none (the Node adapter's `shouldIncludePacket`).
fn missed_event(nsp: &str, rooms: &[Str], e: &StreamEntry) -> Option<Event> {
    if adapter_msg::field(&e.fields, "nsp")? != nsp.as_bytes()
        || adapter_msg::field(&e.fields, "type")? != b"3"
    {
        return None;
    }
    let data = adapter_msg::decode_stream_data(adapter_msg::field(&e.fields, "data")?)?;
    let opts = data.get("opts");
    let target = super::message::target(opts);
    let included = target.rooms.is_empty() || rooms.iter().any(|r| target.rooms.contains(r));
    let excluded = rooms.iter().any(|r| target.except_rooms.contains(r));
    if !included || excluded {
        return None;
    }
    let packet = data.get("packet")?;
    let (_, event) = super::message::packet_event(packet)?;
    let mut args = event.args().ok()?;
    args.push(Value::from(e.id.as_str()));
    Some(Event::from_values(event.name().as_str(), &args))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_stream_ids() {
        assert!(valid_offset("1700000000000-0"));
        assert!(!valid_offset("1700000000000"));
        assert!(!valid_offset("abc-1"));
        assert!(!valid_offset("-1"));
        assert_eq!(next_offset("5-9").as_deref(), Some("5-10"));
    }
}
