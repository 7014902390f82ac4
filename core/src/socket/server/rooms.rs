//! Rooms: a socket joining and leaving, and the server-side operations on a target.

use super::namespace::Member;
use super::{
    JoinError, SocketId, SocketInfo, SocketServer, Target, UnknownNamespace, UnknownSocket,
};
use crate::Str;

impl SocketServer {
    /// Adds `socket` to `rooms` (joining a room twice does nothing), up to
    /// `max_rooms_per_socket` rooms in all.
    pub fn join(
        &mut self,
        socket: &SocketId,
        rooms: impl IntoIterator<Item = Str>,
    ) -> Result<(), JoinError> {
        let at = self.sockets.index_of(socket).ok_or(UnknownSocket)?;
        // The member holds the table's own id buffer, which its position is checked against.
        let member = match self.sockets.key_at(at) {
            Some(key) => Member::new(SocketId::new(Str::from_trusted(key.clone())), at),
            None => return Err(UnknownSocket.into()),
        };
        let s = self.sockets.at_mut(at).ok_or(UnknownSocket)?;
        let n = self
            .namespaces
            .get_mut(s.nsp.as_bytes())
            .ok_or(UnknownSocket)?;
        let report = self.room_changes.is_some();
        let mut created = Vec::new();
        let mut joined = Vec::new();
        let mut result = Ok(());
        for room in rooms {
            if s.rooms.len() >= self.config.max_rooms_per_socket && !s.rooms.contains(&room) {
                tracing::warn!(
                    socket = socket.as_str(),
                    limit = self.config.max_rooms_per_socket,
                    "too many rooms: join refused"
                );
                result = Err(JoinError::TooManyRooms);
                break;
            }
            if s.add_room(&room) {
                if n.add_to_room(&room, &member) && self.watch_rooms {
                    created.push(room.clone());
                }
                if report {
                    joined.push(room);
                }
            }
        }
        let nsp = n.name.clone();
        for room in created {
            let private = room.as_str() == socket.as_str()
                || self.sockets.contains_key(&SocketId::new(room.clone()));
            self.room_lifecycle_changed(&nsp, &room, true, private);
        }
        for room in joined {
            self.room_changed(socket, &nsp, &room, true);
        }
        result
    }

    /// Removes `socket` from `room` (its own room too, if asked, as the reference allows).
    pub fn leave(&mut self, socket: &SocketId, room: &str) -> Result<(), UnknownSocket> {
        let s = self.sockets.get_mut(socket).ok_or(UnknownSocket)?;
        if let Some(room) = s.remove_room(room) {
            let nsp = s.nsp.clone();
            let deleted = self
                .namespaces
                .get_mut(nsp.as_bytes())
                .is_some_and(|n| n.remove_from_room(&room, socket));
            if deleted && self.watch_rooms {
                let private = room.as_str() == socket.as_str()
                    || self.sockets.contains_key(&SocketId::new(room.clone()));
                self.room_lifecycle_changed(&nsp, &room, false, private);
            }
            self.room_changed(socket, &nsp, &room, false);
        }
        Ok(())
    }

    /// Makes every socket of `target` in `nsp` join `rooms`.
    pub fn sockets_join(
        &mut self,
        nsp: &str,
        target: &Target,
        rooms: &[Str],
    ) -> Result<(), UnknownNamespace> {
        for id in self.select(nsp, target)? {
            let _ = self.join(&id, rooms.iter().cloned());
        }
        Ok(())
    }

    /// Makes every socket of `target` in `nsp` leave `room`.
    pub fn sockets_leave(
        &mut self,
        nsp: &str,
        target: &Target,
        room: &str,
    ) -> Result<(), UnknownNamespace> {
        for id in self.select(nsp, target)? {
            let _ = self.leave(&id, room);
        }
        Ok(())
    }

    /// The sockets of `target` in `nsp`: id, handshake and rooms.
    pub fn fetch_sockets(
        &self,
        nsp: &str,
        target: &Target,
    ) -> Result<Vec<SocketInfo>, UnknownNamespace> {
        let ids = self.select(nsp, target)?;
        let infos = ids.into_iter().filter_map(|id| {
            let s = self.sockets.get_uncached(&id)?;
            Some(SocketInfo {
                handshake: s.handshake.clone(),
                rooms: s.rooms.clone(),
                data: s.data.clone(),
                id,
            })
        });
        Ok(infos.collect())
    }

    fn select(&self, nsp: &str, target: &Target) -> Result<Vec<SocketId>, UnknownNamespace> {
        let n = self
            .namespaces
            .get(nsp.as_bytes())
            .ok_or(UnknownNamespace)?;
        Ok(target.select(n))
    }

    /// Sets the application's data for `socket` (returned by
    /// [`fetch_sockets`](Self::fetch_sockets), restored with the socket by recovery).
    pub fn set_data(&mut self, socket: &SocketId, data: crate::Value) -> Result<(), UnknownSocket> {
        self.sockets.get_mut(socket).ok_or(UnknownSocket)?.data = data;
        Ok(())
    }

    /// The application's data for `socket` (`Null` until set).
    pub fn data(&self, socket: &SocketId) -> Option<&crate::Value> {
        self.sockets.get(socket).map(|s| &s.data)
    }

    /// The Engine.IO session `socket` writes to.
    pub fn engine_sid(&self, socket: &SocketId) -> Option<&Str> {
        self.sockets.get(socket).map(|s| &s.sid)
    }

    /// The Engine.IO sessions the live sockets of `target` in `nsp` write to (one entry per
    /// socket: a connection in two of its namespaces is named twice).
    pub fn connections_of(&self, nsp: &str, target: &Target) -> Result<Vec<Str>, UnknownNamespace> {
        let ids = self.select(nsp, target)?;
        let sids = ids.iter().filter_map(|id| {
            let s = self.sockets.get_uncached(id).filter(|s| s.is_live())?;
            Some(s.sid.clone())
        });
        Ok(sids.collect())
    }

    /// The sockets connected over Engine.IO session `sid` (one per namespace joined).
    pub fn sockets_of_connection(&self, sid: &str) -> Vec<SocketId> {
        self.conns
            .get(sid.as_bytes())
            .map(|c| {
                c.nsps
                    .iter()
                    .filter_map(|(_, slot)| match slot {
                        super::socket::Slot::Connected(id) => Some(id.clone()),
                        super::socket::Slot::Pending { .. } => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}
