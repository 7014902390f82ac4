//! Packets from the server, routed to their namespace socket.

use std::time::Instant;

use super::*;

impl Manager {
    pub(super) fn on_packet(&mut self, now: Instant, packet: Packet) {
        let nsp = if packet.nsp.is_empty() {
            "/"
        } else {
            packet.nsp.as_str()
        };
        let Some(i) = self.index(nsp).filter(|&i| self.sockets[i].active) else {
            return;
        };
        match packet.data {
            PacketData::Connect(data) => {
                let obj = data.and_then(|d| serde_json::from_str::<Value>(d.as_str()).ok());
                let field = |k: &str| {
                    obj.as_ref()
                        .and_then(|o| o.get(k))
                        .and_then(Value::as_str)
                        .map(|s| Str::from(s.to_owned()))
                };
                match field("sid") {
                    Some(sid) => self.on_connect(now, i, sid, field("pid")),
                    None => self.events.push_back(Event::ConnectError {
                        nsp: self.sockets[i].nsp.clone(),
                        message: V2_SERVER.to_owned(),
                        data: None,
                    }),
                }
            }
            PacketData::Event(e) => {
                if self.sockets[i].connected {
                    self.deliver(i, e);
                } else {
                    self.sockets[i].receive_buffer.push_back(e);
                }
            }
            PacketData::Ack(a) => {
                if let Some(pending) = self.sockets[i].acks.remove(&a.id) {
                    match pending.owner {
                        AckOwner::User(handle) => self.events.push_back(Event::Ack {
                            nsp: self.sockets[i].nsp.clone(),
                            handle,
                            result: Ok(a.payload),
                        }),
                        AckOwner::Queue => {
                            let done = self.sockets[i].queue.pop_front();
                            if let Some(h) = done.and_then(|q| q.handle) {
                                self.events.push_back(Event::Ack {
                                    nsp: self.sockets[i].nsp.clone(),
                                    handle: h,
                                    result: Ok(a.payload),
                                });
                            }
                            self.drain_queue(now, i, false);
                        }
                    }
                    self.prune_ack_deadlines();
                }
            }
            PacketData::Disconnect => {
                self.destroy(now, i);
                self.socket_closed(now, i, DisconnectReason::IoServerDisconnect);
            }
            PacketData::ConnectError(json) => {
                self.destroy(now, i);
                let v = serde_json::from_str::<Value>(json.as_str()).ok();
                let (message, data) = match v {
                    Some(Value::String(s)) => (s, None),
                    Some(Value::Object(mut o)) => {
                        let message = o
                            .get("message")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned();
                        (message, o.remove("data"))
                    }
                    _ => (String::new(), None),
                };
                self.events.push_back(Event::ConnectError {
                    nsp: self.sockets[i].nsp.clone(),
                    message,
                    data,
                });
            }
        }
    }

    pub(super) fn on_connect(&mut self, now: Instant, i: usize, sid: Str, pid: Option<Str>) {
        let s = &mut self.sockets[i];
        s.recovered = pid.is_some() && s.pid == pid;
        s.pid = pid;
        s.sid = Some(sid.clone());
        s.connected = true;
        // The reference's emitBuffered: what came before the reply, then what waited to go.
        while let Some(e) = self.sockets[i].receive_buffer.pop_front() {
            self.deliver(i, e);
        }
        while let Some((p, _)) = self.sockets[i].send_buffer.pop_front() {
            self.send_packet(p);
        }
        let s = &self.sockets[i];
        self.events.push_back(Event::Connect {
            nsp: s.nsp.clone(),
            sid,
            recovered: s.recovered,
        });
        self.drain_queue(now, i, true);
    }

    /// Hands an event to the application, noting its offset for recovery.
    pub(super) fn deliver(&mut self, i: usize, e: EventPacket) {
        let s = &mut self.sockets[i];
        // The server appends an offset only to events without an ack id (the reference's
        // last argument is then the ack callback, never a string).
        // Only an array ending in a string can carry one: the others are not parsed.
        let ends_in_string = e.payload().json().as_bytes().ends_with(b"\"]");
        if s.pid.is_some() && e.ack_id().is_none() && ends_in_string {
            if let Ok(args) = e.args() {
                if let Some(Value::String(offset)) = args.last() {
                    s.last_offset = Some(offset.clone());
                }
            }
        }
        self.events.push_back(Event::Message {
            nsp: s.nsp.clone(),
            event: e,
        });
    }
}
