//! Leaving a namespace: the server's disconnect, the two-step `Disconnecting` →
//! `Disconnected`, and releasing the socket's state.

use std::time::Instant;

use super::socket::Leaving;
use super::{
    DisconnectReason, SocketEvent, SocketId, SocketServer, Target, UnknownNamespace, UnknownSocket,
};
use crate::socket::Packet;

impl SocketServer {
    /// Disconnects `socket` from its namespace: the client gets DISCONNECT (`1/nsp,`) and the
    /// socket leaves with "server namespace disconnect"; the Engine.IO session stays.
    ///
    /// With `close`, as the reference's `disconnect(true)`: every socket of the same
    /// Engine.IO connection is disconnected that way (each with its DISCONNECT packet and
    /// "server namespace disconnect"), then the connection is closed. No socket is left on it
    /// to see "forced server close".
    pub fn disconnect(
        &mut self,
        now: Instant,
        socket: &SocketId,
        close: bool,
    ) -> Result<(), UnknownSocket> {
        self.touch(now);
        let s = self
            .sockets
            .get(socket)
            .filter(|s| s.is_live())
            .ok_or(UnknownSocket)?;
        if !close {
            self.leave_namespace(
                now,
                socket,
                DisconnectReason::ServerNamespaceDisconnect,
                true,
            );
            return Ok(());
        }
        let sid = s.sid.clone();
        let ids = self
            .conns
            .get(sid.as_bytes())
            .map(|c| c.sockets())
            .unwrap_or_default();
        for id in ids {
            self.leave_namespace(now, &id, DisconnectReason::ServerNamespaceDisconnect, true);
        }
        self.close_conn(now, &sid, DisconnectReason::ForcedServerClose);
        Ok(())
    }

    /// [`disconnect`](Self::disconnect) for every socket of `target` in namespace `nsp`.
    pub fn disconnect_sockets(
        &mut self,
        now: Instant,
        nsp: &str,
        target: &Target,
        close: bool,
    ) -> Result<(), UnknownNamespace> {
        let n = self
            .namespaces
            .get(nsp.as_bytes())
            .ok_or(UnknownNamespace)?;
        for id in target.select(n) {
            // A socket already gone through an earlier one's `close` is skipped.
            let _ = self.disconnect(now, &id, close);
        }
        Ok(())
    }

    /// Starts the socket's departure: detach it from its connection (it receives nothing
    /// more), tell the client if `notify`, and report `Disconnecting` then `Disconnected`. The
    /// state goes when `Disconnected` is polled ([`finalize`](Self::finalize)).
    pub(super) fn leave_namespace(
        &mut self,
        now: Instant,
        id: &SocketId,
        reason: DisconnectReason,
        notify: bool,
    ) {
        let Some(s) = self.sockets.get_mut(id) else {
            return;
        };
        if s.leaving.is_some() {
            return;
        }
        s.leaving = Some(Leaving { at: now, reason });
        let (sid, nsp) = (s.sid.clone(), s.nsp.clone());
        self.metrics.disconnected[reason.index()] += 1;
        tracing::info!(
            socket = id.as_str(),
            nsp = nsp.as_str(),
            reason = reason.as_str(),
            "socket disconnected"
        );
        if let Some(conn) = self.conns.get_mut(sid.as_bytes()) {
            conn.remove_slot(&nsp);
        }
        if notify {
            self.send_packet(&sid, Packet::disconnect(nsp));
        }
        self.events.push_back(SocketEvent::Disconnecting {
            socket: id.clone(),
            reason,
        });
        self.events.push_back(SocketEvent::Disconnected {
            socket: id.clone(),
            reason,
        });
    }

    /// Releases a departed socket: rooms, acks; keeps its session if it may be recovered.
    pub(super) fn finalize(&mut self, id: &SocketId) {
        let Some(s) = self.sockets.get(id) else {
            return;
        };
        let Some(leaving) = s.leaving else {
            return;
        };
        let Some(mut s) = self.sockets.remove(id) else {
            return;
        };
        if let Some(n) = self.namespaces.get_mut(s.nsp.as_bytes()) {
            n.sockets.remove(id);
            let mut deleted = Vec::new();
            for room in &s.rooms {
                if n.remove_from_room(room, id) {
                    deleted.push(room.clone());
                }
            }
            if self.watch_rooms {
                let nsp = s.nsp.clone();
                for room in deleted {
                    let private = room.as_str() == id.as_str()
                        || self.sockets.contains_key(&SocketId::new(room.clone()));
                    self.room_lifecycle_changed(&nsp, &room, false, private);
                }
            }
        }
        if self.room_changes.is_some() {
            for room in &s.rooms {
                self.room_changed(id, &s.nsp, room, false);
            }
        }
        for ack in &s.awaiting {
            self.abandon_ack(id, *ack);
        }
        let nsp = s.nsp.clone();
        if leaving.reason.is_recoverable() && !self.persist_session(id, &mut s) {
            self.keep_session(leaving.at, id, *s);
        }
        self.release_namespace(&nsp);
    }
}
