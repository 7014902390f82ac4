//! What the sockets send: CONNECT, events (buffered, volatile, retried), and the fate of
//! their acks.

use std::time::Instant;

use super::*;

impl Manager {
    pub(super) fn send_connect(&mut self, i: usize) {
        let s = &self.sockets[i];
        let auth = s.config.auth.value();
        let data = match (&s.pid, auth) {
            (Some(pid), auth) => {
                let mut m = Map::new();
                m.insert("pid", Value::String(pid.to_string()));
                // The reference's `offset: undefined` is left out of the JSON.
                if let Some(offset) = &s.last_offset {
                    m.insert("offset", Value::String(offset.clone()));
                }
                if let Some(Value::Object(a)) = auth {
                    for (k, v) in a.iter() {
                        m.insert(k.clone(), v.clone());
                    }
                }
                Some(Value::Object(m))
            }
            (None, auth) => auth,
        };
        let json = data.map(|d| Payload::from_value(&d).json().clone());
        let p = Packet::connect(s.nsp.clone(), json);
        self.send_packet(p);
    }

    pub(super) fn send_packet(&mut self, p: Packet) {
        if let Some(e) = &mut self.engine {
            for f in self.config.parser.into_frames(p) {
                e.send(f);
            }
        }
    }

    pub(super) fn send_event(&mut self, i: usize, event: EventPacket, volatile: bool) {
        let writable = self.engine.as_ref().is_some_and(EngineClient::is_writable);
        let s = &mut self.sockets[i];
        let ack = event.ack_id();
        let p = Packet::event(s.nsp.clone(), event);
        if volatile && !writable {
            // Dropped, as the reference does when the transport is busy.
        } else if s.connected {
            self.send_packet(p);
        } else {
            s.send_buffer.push_back((p, ack));
        }
    }

    /// Sends the head of the retry queue if nothing of it is in flight.
    pub(super) fn drain_queue(&mut self, now: Instant, i: usize, force: bool) {
        let s = &mut self.sockets[i];
        if !s.connected {
            return;
        }
        let default_timeout = s.config.ack_timeout;
        // The id is taken only when the event goes out, as the reference numbers its acks.
        let next_id = s.next_ack_id;
        let Some(q) = s.queue.front_mut() else { return };
        if q.pending && !force {
            return;
        }
        let id = next_id;
        s.next_ack_id += 1;
        let q = s.queue.front_mut().expect("checked above");
        q.pending = true;
        q.tries += 1;
        let deadline = q.timeout.or(default_timeout).map(|t| now + t);
        let event = q.event.clone().with_ack(id);
        // A previous try of this event no longer counts.
        s.acks.retain(|_, a| a.owner != AckOwner::Queue);
        s.acks.insert(
            id,
            PendingAck {
                owner: AckOwner::Queue,
                deadline,
            },
        );
        self.arm_ack(deadline, i, id);
        self.prune_ack_deadlines();
        self.send_event(i, event, false);
    }

    pub(super) fn ack_failed(&mut self, now: Instant, i: usize, owner: AckOwner, why: AckFailure) {
        let nsp = self.sockets[i].nsp.clone();
        match owner {
            AckOwner::User(handle) => self.events.push_back(Event::Ack {
                nsp,
                handle,
                result: Err(why),
            }),
            AckOwner::Queue => {
                let retries = self.sockets[i].config.retries;
                let Some(q) = self.sockets[i].queue.front_mut() else {
                    return;
                };
                q.pending = false;
                if q.tries > retries {
                    let q = self.sockets[i].queue.pop_front();
                    if let Some(handle) = q.and_then(|q| q.handle) {
                        self.events.push_back(Event::Ack {
                            nsp,
                            handle,
                            result: Err(why),
                        });
                    }
                }
                self.drain_queue(now, i, false);
            }
        }
    }

    /// The socket stops following the manager; the connection closes when none is active.
    pub(super) fn destroy(&mut self, now: Instant, i: usize) {
        self.sockets[i].active = false;
        if self.sockets.iter().any(|s| s.active) {
            return;
        }
        self.skip_reconnect = true;
        self.reconnecting = false;
        self.reconnect_at = None;
        self.on_close(now, DisconnectReason::ForcedClose);
    }

    /// Socket `i` lost its connection: it reports it and fails its acks.
    pub(super) fn socket_closed(&mut self, now: Instant, i: usize, reason: DisconnectReason) {
        let s = &mut self.sockets[i];
        s.connected = false;
        s.sid = None;
        self.events.push_back(Event::Disconnect {
            nsp: s.nsp.clone(),
            reason,
        });
        let s = &mut self.sockets[i];
        let buffered: Vec<u64> = s.send_buffer.iter().filter_map(|(_, a)| *a).collect();
        let failed: Vec<u64> = s
            .acks
            .keys()
            .copied()
            .filter(|id| !buffered.contains(id))
            .collect();
        let mut owners = Vec::with_capacity(failed.len());
        for id in failed {
            if let Some(a) = s.acks.remove(&id) {
                owners.push((id, a.owner));
            }
        }
        owners.sort_by_key(|(id, _)| *id);
        for (_, owner) in owners {
            // Not connected: a queued event is not sent again until the next connect.
            self.ack_failed(now, i, owner, AckFailure::Disconnected);
        }
        self.prune_ack_deadlines();
    }
}
