//! Connection state recovery: offsets on emitted events, the namespace's log of them, kept
//! sessions of sockets that lost their connection, and their restoration.
//!
//! As the reference's session-aware adapter: every non-volatile event without ack id gets a
//! unique offset as an extra last argument and is logged once (with the rooms it targeted)
//! for `max_disconnection_duration`; a socket that leaves for a recoverable reason is kept
//! (id, pid, rooms) as long; a CONNECT whose auth names a kept pid and a logged offset gets
//! the same socket back, with the logged events after that offset that its rooms match.

use std::time::Instant;

use smallvec::SmallVec;

use super::ids::SocketId;
use super::socket::SocketState;
use super::timer::Timer;
use super::SocketServer;
use crate::engine::Frame;
use crate::socket::{Event, Packet, Payload};
use crate::Str;

/// An emitted event in a namespace's log.
#[derive(Debug)]
pub(super) struct Stored {
    offset: Str,
    at: Instant,
    /// The rooms it targeted (empty: the whole namespace) and those it excluded.
    rooms: Vec<Str>,
    except: Vec<Str>,
    frames: SmallVec<[Frame; 1]>,
}

/// A socket kept after losing its connection.
#[derive(Debug)]
pub(super) struct Kept {
    id: SocketId,
    nsp: Str,
    rooms: Vec<Str>,
    data: crate::Value,
    pub(super) expires: Instant,
}

/// A kept session being restored.
#[derive(Debug)]
pub(super) struct Restored {
    pub(super) id: SocketId,
    pub(super) pid: Str,
    pub(super) rooms: Vec<Str>,
    pub(super) data: crate::Value,
    /// The frames of the missed events, oldest first.
    pub(super) missed: Vec<SmallVec<[Frame; 1]>>,
}

impl SocketServer {
    /// Encodes `event` for namespace `nsp`; with recovery on, stamps it with an offset and
    /// logs it with its target.
    pub(super) fn record(
        &mut self,
        nsp: &Str,
        event: Event,
        rooms: Vec<Str>,
        except: Vec<Str>,
    ) -> SmallVec<[Frame; 1]> {
        // With sessions kept outside (`external_sessions`), offsets come from the external
        // store (broadcast_at_offset): an event sent without one cannot be replayed.
        let log = self.config.recovery.zip(self.last_now);
        let Some((rc, now)) = log.filter(|_| !self.external_sessions) else {
            return self
                .config
                .parser
                .into_frames(Packet::event(nsp.clone(), event));
        };
        let offset = self.next_offset();
        let event = with_offset(&event, &offset);
        let frames = self
            .config
            .parser
            .into_frames(Packet::event(nsp.clone(), event));
        if let Some(n) = self.namespaces.get_mut(nsp.as_bytes()) {
            while n
                .log
                .front()
                .is_some_and(|s| s.at + rc.max_disconnection_duration < now)
            {
                n.log.pop_front();
            }
            n.log.push_back(Stored {
                offset,
                at: now,
                rooms,
                except,
                frames: frames.clone(),
            });
        }
        frames
    }

    /// Keeps a departed socket's session for the recovery window.
    pub(super) fn keep_session(&mut self, at: Instant, id: &SocketId, s: SocketState) {
        let (Some(rc), Some(pid)) = (self.config.recovery, s.pid) else {
            return;
        };
        let expires = at + rc.max_disconnection_duration;
        if let Some(n) = self.namespaces.get_mut(s.nsp.as_bytes()) {
            n.kept += 1;
        }
        let kept = Kept {
            id: id.clone(),
            nsp: s.nsp,
            rooms: s.rooms,
            data: s.data,
            expires,
        };
        if let Some(old) = self.sessions.insert(pid.clone(), kept) {
            self.unkeep(&old.nsp);
        }
        self.timers.arm(expires, Timer::Session(pid));
    }

    /// Drops kept session `pid` (its recovery window is over).
    pub(super) fn drop_kept(&mut self, pid: &Str) {
        if let Some(k) = self.sessions.remove(pid) {
            self.unkeep(&k.nsp);
            self.release_namespace(&k.nsp);
        }
    }

    fn unkeep(&mut self, nsp: &Str) {
        if let Some(n) = self.namespaces.get_mut(nsp.as_bytes()) {
            n.kept = n.kept.saturating_sub(1);
        }
    }

    /// The kept session a CONNECT's auth (`{"pid":…,"offset":…}`) names, with the events it
    /// missed, if it is still kept for this namespace and the offset is still logged.
    pub(super) fn restore(
        &mut self,
        now: Instant,
        nsp: &Str,
        auth: Option<&Str>,
    ) -> Option<Restored> {
        self.config.recovery?;
        let auth: serde_json::Value = serde_json::from_str(auth?.as_str()).ok()?;
        let pid = auth.get("pid")?.as_str()?;
        let offset = auth.get("offset")?.as_str()?;
        let pid = Str::from(pid.to_owned());
        let kept = self.sessions.get(&pid)?;
        if kept.expires < now || kept.nsp != *nsp || self.sockets.contains_key(&kept.id) {
            return None;
        }
        let log = &self.namespaces.get(nsp.as_bytes())?.log;
        let start = log.iter().position(|s| s.offset.as_str() == offset)? + 1;
        let missed = log
            .range(start..)
            .filter(|s| includes(&kept.rooms, s))
            .map(|s| s.frames.clone())
            .collect();
        // Unlike the reference's memory adapter, a restored session is taken out of the store,
        // so one pid cannot bring back two sockets.
        let kept = self.sessions.remove(&pid)?;
        self.unkeep(&kept.nsp);
        Some(Restored {
            id: kept.id,
            pid,
            rooms: kept.rooms,
            data: kept.data,
            missed,
        })
    }

    /// A unique, increasing offset (base 36 of a counter; the reference uses `yeast` ids).
    fn next_offset(&mut self) -> Str {
        let mut n = self.next_offset;
        self.next_offset += 1;
        let mut digits = Vec::with_capacity(13);
        loop {
            digits.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % 36) as usize]);
            n /= 36;
            if n == 0 {
                break;
            }
        }
        digits.reverse();
        Str::from(String::from_utf8(digits).unwrap_or_default())
    }
}

/// The reference's `shouldIncludePacket`: targeted at one of the session's rooms (or at all)
/// and excluded from none of them.
fn includes(rooms: &[Str], s: &Stored) -> bool {
    let included = s.rooms.is_empty() || rooms.iter().any(|r| s.rooms.contains(r));
    included && !rooms.iter().any(|r| s.except.contains(r))
}

/// `event` with `offset` appended as its last argument. An event's payload is a non-empty
/// array, so it ends in `]`; the offset is written as a JSON string.
pub(super) fn with_offset(event: &Event, offset: &str) -> Event {
    let json = event.payload().json();
    let body = json.as_str().strip_suffix(']').unwrap_or(json.as_str());
    let mut out = String::with_capacity(json.len() + offset.len() + 3);
    out.push_str(body);
    out.push(',');
    if offset
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        out.push('"');
        out.push_str(offset);
        out.push('"');
    } else {
        out.push_str(&serde_json::Value::from(offset).to_string());
    }
    out.push(']');
    let payload = Payload::from_parts(Str::from(out), event.payload().attachments().to_vec());
    Event::from_parts(event.name().clone(), payload, None)
}
