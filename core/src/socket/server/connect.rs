//! Joining a namespace: CONNECT, the application's decision, the CONNECT reply.

use std::time::Instant;

use hashbrown::HashSet;

use super::handshake::Handshake;
use super::namespace::{Member, Namespace};
use super::recovery::Restored;
use super::socket::{Slot, SocketState};
use super::{ConnectId, SocketEvent, SocketId, SocketServer, UnknownConnect};
use crate::engine::server::SessionHint;
use crate::socket::{Packet, Value};
use crate::Str;

/// A CONNECT the application is deciding on.
#[derive(Debug)]
pub(super) struct PendingConnect {
    pub(super) sid: Str,
    pub(super) nsp: Str,
    pub(super) handshake: Handshake,
    /// A kept session the CONNECT's auth named, restored on accept.
    pub(super) restored: Option<Restored>,
    /// Waiting for an external session store's answer (the application has not been asked
    /// yet).
    pub(super) restoring: bool,
}

impl SocketServer {
    pub(super) fn handle_connect(&mut self, now: Instant, sid: &Str, nsp: Str, auth: Option<Str>) {
        let Some(conn) = self.conns.get(sid.as_bytes()) else {
            return;
        };
        match conn.slot(&nsp) {
            // The reference's "invalid state": a CONNECT to a namespace the client is in.
            Some(Slot::Connected(_)) => {
                self.invalid_state(now, sid);
                return;
            }
            // One it is asking for already: ignored (the reference would make a second
            // socket, its first one left without a namespace entry).
            Some(Slot::Pending { .. }) => return,
            None => {}
        }
        if conn.nsps.len() >= self.config.max_namespaces_per_connection {
            tracing::warn!(
                sid = sid.as_str(),
                peer = conn.info.address.as_str(),
                limit = self.config.max_namespaces_per_connection,
                "too many namespaces on one connection: CONNECT refused"
            );
            let packet = Packet::connect_error(nsp, "Too many namespaces", None);
            self.send_packet(sid, packet);
            return;
        }
        let handshake = Handshake::new(&conn.info, auth.clone());
        if !self.ensure_namespace(&nsp) {
            tracing::debug!(
                sid = sid.as_str(),
                nsp = nsp.as_str(),
                "CONNECT to an unknown namespace"
            );
            let packet = Packet::connect_error(nsp, "Invalid namespace", None);
            self.send_packet(sid, packet);
            return;
        }
        let lookup = self.recovery_auth(auth.as_ref());
        let restored = if self.external_sessions() {
            None
        } else {
            self.restore(now, &nsp, auth.as_ref())
        };
        let skip = self.config.recovery.is_some_and(|r| r.skip_middlewares);
        if restored.is_some() && skip {
            self.establish(sid, &nsp, handshake, restored);
            return;
        }
        let request = ConnectId(self.next_connect);
        self.next_connect += 1;
        if let Some(conn) = self.conns.get_mut(sid.as_bytes()) {
            let slot = Slot::Pending { request };
            conn.add_slot(nsp.clone(), slot);
        }
        if let Some(n) = self.namespaces.get_mut(nsp.as_bytes()) {
            n.pending += 1;
        }
        self.pending.insert(
            request,
            PendingConnect {
                sid: sid.clone(),
                nsp: nsp.clone(),
                handshake: handshake.clone(),
                restored,
                restoring: lookup.is_some(),
            },
        );
        if let Some((pid, offset)) = lookup {
            // The application is asked once the store has answered.
            self.session_io.push_back(super::SessionIo::Lookup {
                request,
                nsp,
                pid,
                offset,
            });
            return;
        }
        self.events.push_back(SocketEvent::ConnectRequest {
            request,
            nsp,
            auth,
            handshake,
        });
    }

    /// Admits the client of `request` to its namespace: the socket gets its id (or its old
    /// one, recovered), joins the room named by it, and the CONNECT reply is queued before
    /// anything the application emits afterwards. Then [`SocketEvent::Connected`] is reported.
    pub fn accept_connect(
        &mut self,
        now: Instant,
        request: ConnectId,
    ) -> Result<SocketId, UnknownConnect> {
        self.touch(now);
        let p = self.take_pending(request).ok_or(UnknownConnect)?;
        let pending = self
            .conns
            .get(p.sid.as_bytes())
            .and_then(|c| c.slot(&p.nsp))
            .is_some_and(|s| matches!(s, Slot::Pending { request: r } if *r == request));
        if !pending {
            self.release_namespace(&p.nsp);
            return Err(UnknownConnect);
        }
        Ok(self.establish(&p.sid, &p.nsp, p.handshake, p.restored))
    }

    /// Refuses the client of `request`: it gets CONNECT_ERROR `{"message":…,"data":…}` (no
    /// `data` when `None`); a v2 client (Engine.IO v3) gets ERROR with `data`, or `message`
    /// as a string, as the reference sends it.
    pub fn reject_connect(
        &mut self,
        request: ConnectId,
        message: &str,
        data: Option<Value>,
    ) -> Result<(), UnknownConnect> {
        let p = self.take_pending(request).ok_or(UnknownConnect)?;
        self.release_namespace(&p.nsp);
        self.metrics.connect_refused += 1;
        tracing::info!(
            sid = p.sid.as_str(),
            nsp = p.nsp.as_str(),
            message,
            "CONNECT refused"
        );
        let conn = self.conns.get_mut(p.sid.as_bytes()).ok_or(UnknownConnect)?;
        conn.remove_slot(&p.nsp);
        let packet = if conn.is_v3() {
            super::legacy::error_packet(p.nsp, message, data.as_ref())
        } else {
            Packet::connect_error(p.nsp, message, data.as_ref())
        };
        self.send_packet(&p.sid, packet);
        Ok(())
    }

    /// Takes CONNECT `request` off the pending ones (its namespace's count too; the caller
    /// releases the namespace once done with it).
    pub(super) fn take_pending(&mut self, request: ConnectId) -> Option<PendingConnect> {
        let p = self.pending.remove(&request)?;
        if let Some(n) = self.namespaces.get_mut(p.nsp.as_bytes()) {
            n.pending = n.pending.saturating_sub(1);
        }
        Some(p)
    }

    /// Whether namespace `name` exists, creating it if a dynamic filter accepts it.
    fn ensure_namespace(&mut self, name: &Str) -> bool {
        if self.has_namespace(name) {
            return true;
        }
        if self.dynamic.iter().any(|accept| accept(name)) {
            let mut n = Namespace::new(name.clone());
            n.dynamic = true;
            self.namespaces.insert(name.bytes().clone(), n);
            return true;
        }
        false
    }

    /// Creates (or restores) the socket, writes the missed packets and the CONNECT reply.
    pub(super) fn establish(
        &mut self,
        sid: &Str,
        nsp: &Str,
        handshake: Handshake,
        restored: Option<Restored>,
    ) -> SocketId {
        let recovered = restored.is_some();
        let (v3, hint) = self
            .conns
            .get(sid.as_bytes())
            .map_or((false, SessionHint::NONE), |c| (c.is_v3(), c.hint));
        let (id, pid, rooms, data, missed) = match restored {
            Some(r) => (r.id, Some(r.pid), r.rooms, r.data, r.missed),
            None => {
                let id = if v3 {
                    super::legacy::socket_id(nsp, sid)
                } else {
                    self.new_id()
                };
                let pid = self.config.recovery.map(|_| self.ids.next_sid());
                (id, pid, Vec::new(), crate::Value::Null, Vec::new())
            }
        };
        let mut state = SocketState {
            nsp: nsp.clone(),
            sid: sid.clone(),
            rooms: Vec::with_capacity(1 + rooms.len()),
            handshake,
            data,
            pid: pid.clone(),
            unanswered: std::collections::VecDeque::new(),
            awaiting: HashSet::new(),
            leaving: None,
            v3,
            hint,
        };
        state.add_room(id.as_room());
        for room in &rooms {
            state.add_room(room);
        }
        // In the table first: the namespace's sets keep the socket's position there.
        let (at, _) = self
            .sockets
            .insert_at(id.as_room().bytes().clone(), Box::new(state));
        let mut created = Vec::new();
        let n = self.namespaces.get_mut(nsp.as_bytes());
        if let (Some(n), Some(state)) = (n, self.sockets.at(at)) {
            let member = Member::new(id.clone(), at);
            for room in &state.rooms {
                if n.add_to_room(room, &member) {
                    created.push(room.clone());
                }
            }
            n.sockets.insert(member);
        }
        if self.watch_rooms {
            for room in created {
                let private = room == *id.as_room()
                    || self.sockets.contains_key(&SocketId::new(room.clone()));
                self.room_lifecycle_changed(nsp, &room, true, private);
            }
        }
        self.metrics.connected += 1;
        tracing::info!(
            socket = id.as_str(),
            nsp = nsp.as_str(),
            sid = sid.as_str(),
            recovered,
            "socket connected"
        );
        if self.room_changes.is_some() {
            let rooms = self.sockets.at(at).map(|s| s.rooms.clone());
            for room in rooms.iter().flatten() {
                self.room_changed(&id, nsp, room, true);
            }
        }
        if let Some(conn) = self.conns.get_mut(sid.as_bytes()) {
            match conn.slot_mut(nsp) {
                Some(slot) => *slot = Slot::Connected(id.clone()),
                None => conn.add_slot(nsp.clone(), Slot::Connected(id.clone())),
            }
            conn.connect_deadline = None;
        }
        // The reference writes the missed events before the CONNECT reply (PROTOCOL.md 2.5).
        for frames in missed {
            self.send_frames(sid, frames);
        }
        let reply = (!v3).then(|| {
            let mut reply = String::with_capacity(64);
            reply.push_str("{\"sid\":\"");
            reply.push_str(id.as_str());
            if let Some(pid) = &pid {
                reply.push_str("\",\"pid\":\"");
                reply.push_str(pid);
            }
            reply.push_str("\"}");
            Str::from(reply)
        });
        // A v2 client's CONNECT reply has no payload (it learns no socket id).
        self.send_packet(sid, Packet::connect(nsp.clone(), reply));
        self.events.push_back(SocketEvent::Connected {
            socket: id.clone(),
            nsp: nsp.clone(),
            recovered,
        });
        id
    }
}
