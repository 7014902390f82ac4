//! Emitting to one socket or a broadcast target, and acks in both directions.

use std::time::{Duration, Instant};

use hashbrown::HashSet;
use smallvec::SmallVec;

use super::timer::Timer;
use super::{
    ack_packet, BroadcastAckId, EmitAckError, EngineCommand, SocketEvent, SocketId, SocketServer,
    Target, UnknownNamespace, UnknownSocket,
};
use crate::engine::Frame;
use crate::socket::{Event, Packet, Parser, Payload};
use crate::Str;

/// A server emit waiting for the client's ack.
#[derive(Debug)]
pub(super) struct AckWait {
    pub(super) deadline: Option<Instant>,
    /// The broadcast it belongs to; its deadline is the broadcast's.
    pub(super) broadcast: Option<u64>,
}

/// A broadcast with ack collecting one answer per recipient.
#[derive(Debug)]
pub(super) struct BroadcastWait {
    pub(super) deadline: Option<Instant>,
    ack_id: u64,
    pending: HashSet<SocketId>,
    responses: Vec<(SocketId, Payload)>,
    timed_out: Vec<SocketId>,
}

impl SocketServer {
    /// Emits `event` to `socket` (any ack id on `event` is dropped; see
    /// [`emit_with_ack`](Self::emit_with_ack)). With recovery enabled the event gets its offset
    /// as an extra last argument and is kept for replay.
    pub fn emit(&mut self, socket: &SocketId, event: Event) -> Result<(), UnknownSocket> {
        self.emit_to(socket, event, false)
    }

    /// Emits `event` to `socket` as a volatile packet: no recovery offset, never replayed.
    /// (Sent like any other: this machine is not told when a transport is not writable.)
    pub fn emit_volatile(&mut self, socket: &SocketId, event: Event) -> Result<(), UnknownSocket> {
        self.emit_to(socket, event, true)
    }

    /// Emits `event` to `socket` asking for an ack; returns the ack id. The answer comes as
    /// [`SocketEvent::AckReceived`]; with a `timeout`, no answer by then gives one
    /// [`SocketEvent::AckTimedOut`] and a late answer is ignored. Ids come from a
    /// per-namespace counter, as the reference's. Fails without sending if the socket has
    /// `max_pending_acks` acks outstanding.
    pub fn emit_with_ack(
        &mut self,
        now: Instant,
        socket: &SocketId,
        event: Event,
        timeout: Option<Duration>,
    ) -> Result<u64, EmitAckError> {
        self.touch(now);
        let s = self
            .sockets
            .get(socket)
            .filter(|s| s.is_live())
            .ok_or(UnknownSocket)?;
        if s.awaiting.len() >= self.config.max_pending_acks {
            tracing::warn!(
                socket = socket.as_str(),
                limit = self.config.max_pending_acks,
                "too many acks pending: emit refused"
            );
            return Err(EmitAckError::TooManyPending);
        }
        let sid = s.sid.clone();
        let n = self
            .namespaces
            .get_mut(s.nsp.as_bytes())
            .ok_or(UnknownSocket)?;
        let id = n.next_ack_id();
        let packet = Packet::event(n.name.clone(), event.with_ack(id));
        self.send_packet(&sid, packet);
        self.metrics.emits += 1;
        let deadline = timeout.map(|t| now + t);
        self.acks.insert(
            (socket.clone(), id),
            AckWait {
                deadline,
                broadcast: None,
            },
        );
        if let Some(at) = deadline {
            self.timers.arm(at, Timer::Ack(socket.clone(), id));
        }
        if let Some(s) = self.sockets.get_mut(socket) {
            s.awaiting.insert(id);
        }
        Ok(id)
    }

    /// Answers the client's event `ack_id` on `socket` with `payload` (the ack's argument
    /// array, e.g. from [`Payload::ack`]). Only the first answer to an id the client asked
    /// for is written; returns whether this one was.
    pub fn ack(&mut self, socket: &SocketId, ack_id: u64, payload: Payload) -> bool {
        let parser = self.config.parser;
        self.answer(socket, ack_id, |nsp| {
            parser.into_frames(ack_packet(nsp, ack_id, payload))
        })
    }

    /// [`ack`](Self::ack) with the arguments `event` carried, as they came (as
    /// [`Event::args_as_ack`]): with the JSON parser and no attachments, the answer's frame is
    /// written straight from the received text, one buffer and one copy.
    pub fn ack_forward(&mut self, socket: &SocketId, ack_id: u64, event: &Event) -> bool {
        let parser = self.config.parser;
        self.answer(socket, ack_id, |nsp| {
            // The namespace as bytes: `Str`'s `&str` view checks the UTF-8 again.
            let frame = (parser == Parser::Json)
                .then(|| event.args_ack_frame(nsp.as_bytes(), ack_id))
                .flatten();
            match frame {
                Some(frame) => smallvec::smallvec![Frame::Text(frame)],
                None => parser.into_frames(ack_packet(nsp, ack_id, event.args_as_ack())),
            }
        })
    }

    /// Sends the frames `answer` builds (given the socket's namespace) for the client's ask
    /// `ack_id` on `socket`, if it is live and the ask unanswered; returns whether it was.
    fn answer(
        &mut self,
        socket: &SocketId,
        ack_id: u64,
        answer: impl FnOnce(&Str) -> SmallVec<[Frame; 1]>,
    ) -> bool {
        let Some(s) = self.sockets.get_mut(socket).filter(|s| s.is_live()) else {
            return false;
        };
        let Some(i) = s.unanswered.iter().position(|a| *a == ack_id) else {
            return false;
        };
        // Usually the oldest ask is answered first.
        if i == 0 {
            s.unanswered.pop_front();
        } else {
            s.unanswered.remove(i);
        }
        let frames = answer(&s.nsp);
        let (sid, hint) = (s.sid.clone(), s.hint);
        self.send_frames_hinted(sid, hint, frames);
        true
    }

    /// Emits `event` to the sockets of `target` in namespace `nsp`, encoding it once: every
    /// recipient gets the same frames. Returns the number of recipients.
    pub fn broadcast(
        &mut self,
        nsp: &str,
        target: &Target,
        event: Event,
    ) -> Result<usize, UnknownNamespace> {
        self.broadcast_to(nsp, target, event, false, None)
    }

    /// [`broadcast`](Self::broadcast) as a volatile packet (no recovery offset, never
    /// replayed).
    pub fn broadcast_volatile(
        &mut self,
        nsp: &str,
        target: &Target,
        event: Event,
    ) -> Result<usize, UnknownNamespace> {
        self.broadcast_to(nsp, target, event, true, None)
    }

    /// Broadcasts `event` asking every recipient for an ack (one ack id for all, encoded
    /// once). When all have answered, or at the `timeout`, one
    /// [`SocketEvent::BroadcastAckDone`] reports the answers and who did not answer.
    pub fn broadcast_with_ack(
        &mut self,
        now: Instant,
        nsp: &str,
        target: &Target,
        event: Event,
        timeout: Option<Duration>,
    ) -> Result<BroadcastAckId, UnknownNamespace> {
        self.touch(now);
        let n = self
            .namespaces
            .get_mut(nsp.as_bytes())
            .ok_or(UnknownNamespace)?;
        let ack_id = n.next_ack_id();
        let recipients = target.select(n);
        let frames = self
            .config
            .parser
            .into_frames(Packet::event(n.name.clone(), event.with_ack(ack_id)));
        // Encoded once more, once, if a v2 client gets the attachments.
        let binary = super::legacy::has_binary(&frames);
        let mut v3_frames: Option<SmallVec<[Frame; 1]>> = None;
        let id = self.next_broadcast_ack;
        self.next_broadcast_ack += 1;
        let mut pending = HashSet::new();
        let mut timed_out = Vec::new();
        for socket in recipients {
            let Some(s) = self.sockets.get_mut(&socket).filter(|s| s.is_live()) else {
                continue;
            };
            if s.awaiting.len() >= self.config.max_pending_acks {
                // Not sent: it has too many acks outstanding already, as if it did not answer.
                timed_out.push(socket);
                continue;
            }
            s.awaiting.insert(ack_id);
            let frames = if binary && s.v3 {
                v3_frames
                    .get_or_insert_with(|| crate::engine::v3::wire_frames(&frames))
                    .clone()
            } else {
                share(&frames)
            };
            self.commands.push_back(EngineCommand::Send {
                sid: s.sid.clone(),
                hint: s.hint,
                frames,
                volatile: false,
            });
            let wait = AckWait {
                deadline: None,
                broadcast: Some(id),
            };
            self.acks.insert((socket.clone(), ack_id), wait);
            pending.insert(socket);
        }
        self.metrics.broadcasts += 1;
        self.metrics.broadcast_deliveries += pending.len() as u64;
        let deadline = timeout.map(|t| now + t);
        let done = pending.is_empty();
        let wait = BroadcastWait {
            deadline,
            ack_id,
            pending,
            responses: Vec::new(),
            timed_out,
        };
        self.broadcast_acks.insert(id, wait);
        if done {
            self.finish_broadcast_ack(id);
        } else if let Some(at) = deadline {
            self.timers.arm(at, Timer::BroadcastAck(id));
        }
        Ok(BroadcastAckId(id))
    }

    fn emit_to(
        &mut self,
        socket: &SocketId,
        event: Event,
        volatile: bool,
    ) -> Result<(), UnknownSocket> {
        let s = self
            .sockets
            .get(socket)
            .filter(|s| s.is_live())
            .ok_or(UnknownSocket)?;
        let (sid, hint, v3) = (s.sid.clone(), s.hint, s.v3);
        let unlogged = volatile || self.config.recovery.is_none();
        // An event to `/` that keeps its packet's frame (an echo: the frame it came in) is
        // sent as that frame, as `into_frames` would, without building the packet.
        let main = s.nsp.as_bytes() == crate::socket::MAIN_NAMESPACE.as_bytes();
        let frames =
            if unlogged && main && self.config.parser == Parser::Json && event.has_main_frame() {
                match event.take_framed() {
                    Some(frame) => smallvec::smallvec![Frame::Text(frame)],
                    None => SmallVec::new(),
                }
            } else {
                let nsp = s.nsp.clone();
                let event = event.without_ack();
                let frames = if unlogged {
                    self.config.parser.into_frames(Packet::event(nsp, event))
                } else {
                    // The reference emits through its adapter to the socket's own room, so the
                    // packet is logged for recovery like a broadcast.
                    self.record(&nsp, event, vec![socket.as_room().clone()], Vec::new())
                };
                if v3 && super::legacy::has_binary(&frames) {
                    crate::engine::v3::wire_frames(&frames)
                } else {
                    frames
                }
            };
        self.commands.push_back(EngineCommand::Send {
            sid,
            hint,
            frames,
            volatile,
        });
        self.metrics.emits += 1;
        Ok(())
    }

    pub(super) fn broadcast_to(
        &mut self,
        nsp: &str,
        target: &Target,
        event: Event,
        volatile: bool,
        offset: Option<&str>,
    ) -> Result<usize, UnknownNamespace> {
        let n = self
            .namespaces
            .get(nsp.as_bytes())
            .ok_or(UnknownNamespace)?;
        let name = n.name.clone();
        let event = event.without_ack();
        let frames: SmallVec<[Frame; 1]> = if volatile {
            self.config.parser.into_frames(Packet::event(name, event))
        } else if let Some(offset) = offset {
            let event = super::recovery::with_offset(&event, offset);
            self.config.parser.into_frames(Packet::event(name, event))
        } else {
            let except = target.all_except_rooms();
            self.record(&name, event, target.rooms.clone(), except)
        };
        // Recording changed no membership: select now, without collecting the recipients.
        let n = self
            .namespaces
            .get(nsp.as_bytes())
            .ok_or(UnknownNamespace)?;
        let (sockets, commands) = (&self.sockets, &mut self.commands);
        let mut count = 0;
        // One encoding per wire format: v2 clients share a second copy of the frames, made
        // once if any of them gets attachments.
        let binary = super::legacy::has_binary(&frames);
        let mut v3_frames: Option<SmallVec<[Frame; 1]>> = None;
        target.for_each(n, |socket| {
            let Some(s) = sockets
                .get_hinted(socket.at, socket.id.as_ref())
                .filter(|s| s.is_live())
            else {
                return;
            };
            let frames = if binary && s.v3 {
                v3_frames
                    .get_or_insert_with(|| crate::engine::v3::wire_frames(&frames))
                    .clone()
            } else {
                share(&frames)
            };
            commands.push_back(EngineCommand::Send {
                sid: s.sid.clone(),
                hint: s.hint,
                frames,
                volatile,
            });
            count += 1;
        });
        self.metrics.broadcasts += 1;
        self.metrics.broadcast_deliveries += count as u64;
        Ok(count)
    }

    pub(super) fn ack_received(&mut self, socket: &SocketId, ack_id: u64, payload: Payload) {
        let Some(wait) = self.acks.remove(&(socket.clone(), ack_id)) else {
            return; // Unknown, answered or timed out: ignored.
        };
        if let Some(s) = self.sockets.get_mut(socket) {
            s.awaiting.remove(&ack_id);
        }
        match wait.broadcast {
            None => self.events.push_back(SocketEvent::AckReceived {
                socket: socket.clone(),
                ack_id,
                payload,
            }),
            Some(b) => {
                let Some(bw) = self.broadcast_acks.get_mut(&b) else {
                    return;
                };
                bw.pending.remove(socket);
                bw.responses.push((socket.clone(), payload));
                if bw.pending.is_empty() {
                    self.finish_broadcast_ack(b);
                }
            }
        }
    }

    pub(super) fn ack_timed_out(&mut self, socket: SocketId, ack_id: u64) {
        if self.acks.remove(&(socket.clone(), ack_id)).is_none() {
            return;
        }
        if let Some(s) = self.sockets.get_mut(&socket) {
            s.awaiting.remove(&ack_id);
        }
        self.metrics.acks_timed_out += 1;
        tracing::debug!(socket = socket.as_str(), ack_id, "ack timed out");
        self.events
            .push_back(SocketEvent::AckTimedOut { socket, ack_id });
    }

    pub(super) fn finish_broadcast_ack(&mut self, id: u64) {
        let Some(mut bw) = self.broadcast_acks.remove(&id) else {
            return;
        };
        for socket in bw.pending.drain() {
            self.acks.remove(&(socket.clone(), bw.ack_id));
            if let Some(s) = self.sockets.get_mut(&socket) {
                s.awaiting.remove(&bw.ack_id);
            }
            bw.timed_out.push(socket);
        }
        self.metrics.acks_timed_out += bw.timed_out.len() as u64;
        self.events.push_back(SocketEvent::BroadcastAckDone {
            id: BroadcastAckId(id),
            responses: bw.responses,
            timed_out: bw.timed_out,
        });
    }

    /// A socket left without answering `ack_id`. A broadcast counts it as not answering now;
    /// a single emit with a timeout still reports `AckTimedOut` at its deadline (as the
    /// reference's timer), one without a timeout is forgotten.
    pub(super) fn abandon_ack(&mut self, socket: &SocketId, ack_id: u64) {
        let key = (socket.clone(), ack_id);
        let Some(wait) = self.acks.get(&key) else {
            return;
        };
        match (wait.broadcast, wait.deadline) {
            (Some(b), _) => {
                self.acks.remove(&key);
                let Some(bw) = self.broadcast_acks.get_mut(&b) else {
                    return;
                };
                if bw.pending.remove(socket) {
                    bw.timed_out.push(socket.clone());
                }
                if bw.pending.is_empty() {
                    self.finish_broadcast_ack(b);
                }
            }
            (None, None) => {
                self.acks.remove(&key);
            }
            (None, Some(_)) => {}
        }
    }
}

/// Another handle to a packet's frames, for one more recipient: a packet of one frame (the
/// usual broadcast) is copied without `SmallVec`'s clone, which extends an empty vector from
/// an iterator (about 90 instructions per recipient, against 10 for the frame's handle).
#[inline]
fn share(frames: &SmallVec<[Frame; 1]>) -> SmallVec<[Frame; 1]> {
    match frames.as_slice() {
        [one] => SmallVec::from_buf([one.clone()]),
        more => SmallVec::from(more),
    }
}
