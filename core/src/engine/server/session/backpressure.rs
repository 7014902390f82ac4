//! A session's side of backpressure: what is queued for its client (counted until written),
//! the limit a packet must fit in, the volatile packets dropped first, the drain report, and
//! pausing the reading of a client the application is behind on. See the docs on
//! backpressure of [`Server`](super::super::Server).

use std::time::Instant;

use super::TransportId;
use super::{Active, CloseReason, Event, Outbox, Release, ServerConfig, Session, Timer, Transmit};
use crate::engine::{Frame, Protocol};

/// What a queued frame counts for against [`ServerConfig::max_buffered_bytes`]: its length
/// plus [`FRAME_OVERHEAD`].
pub fn queued_size(frame: &Frame) -> usize {
    frame.len() + FRAME_OVERHEAD
}

/// The bookkeeping a queued frame costs beyond its bytes (the frame's handle and its slot in a
/// queue, rounded up), counted so that many small frames are bounded like few large ones.
pub const FRAME_OVERHEAD: usize = 64;

impl Session {
    /// Queues a frame (already an encoded Engine.IO packet), or closes the session with
    /// "send buffer full" if the client is too far behind: with its queue more than half full,
    /// a frame that would take it past `max_buffered_bytes` is not queued. With the queue at
    /// most half full any frame is, even one larger than the limit, which then stretches the
    /// limit by its size until the queue is back to half.
    pub(crate) fn send_frame(&mut self, frame: Frame, cfg: &ServerConfig, out: &mut Outbox) {
        let size = queued_size(&frame);
        if self.admit(size, cfg, out) {
            self.enqueue(frame, size, out);
            self.flush(out);
        }
    }

    /// Queues the frames of one packet (its text, then its attachments) as one: all of them,
    /// or (past the limit) none. They are flushed together, so a long-poll answer carries the
    /// whole packet, and a large packet admitted over the limit keeps its stretch until it is
    /// handed over (flushing its text alone would end the stretch with the attachments still
    /// queued, and the next packet would close the session).
    pub(crate) fn send_frames(&mut self, frames: &[Frame], cfg: &ServerConfig, out: &mut Outbox) {
        let size = frames.iter().map(queued_size).sum();
        if self.admit(size, cfg, out) {
            for frame in frames {
                self.enqueue(frame.clone(), queued_size(frame), out);
            }
            self.flush(out);
        }
    }

    /// [`send_frames`](Self::send_frames) for one packet of a run to this session, without
    /// the flush: the caller flushes once after the run ([`flush_run`](Self::flush_run)), so a
    /// parked GET is answered with the whole run rather than its first packet alone. A queue
    /// past its high-water mark is flushed at once, as a packet on its own would be: what is
    /// admitted does not depend on the run.
    pub(crate) fn send_in_run(&mut self, frames: &[Frame], cfg: &ServerConfig, out: &mut Outbox) {
        let size = frames.iter().map(queued_size).sum();
        if self.admit(size, cfg, out) {
            for frame in frames {
                self.enqueue(frame.clone(), queued_size(frame), out);
            }
            if self.queued > self.high_water {
                self.flush(out);
            }
        }
    }

    /// Ends a run of [`send_in_run`](Self::send_in_run): writes what it queued.
    pub(crate) fn flush_run(&mut self, out: &mut Outbox) {
        if !self.closed {
            self.flush(out);
        }
    }

    /// Whether `size` more fits in the queue; closes the session ("send buffer full") if not.
    fn admit(&mut self, size: usize, cfg: &ServerConfig, out: &mut Outbox) -> bool {
        if self.closed {
            return false;
        }
        if self.queued + size <= cfg.max_buffered_bytes + self.oversize {
            return true;
        }
        if self.queued <= self.high_water {
            // The client keeps up: a large message still goes (see `oversize`).
            self.oversize = size;
            return true;
        }
        tracing::warn!(
            sid = self.sid.as_str(),
            queued = self.queued,
            max_buffered_bytes = cfg.max_buffered_bytes,
            "send buffer full: the client is too far behind, its connection is dropped"
        );
        self.close(CloseReason::SendBufferFull, Release::Close, out);
        false
    }

    /// Counts a frame as queued and puts it in line; the caller flushes.
    fn enqueue(&mut self, frame: Frame, size: usize, out: &mut Outbox) {
        self.queued += size;
        out.metrics.frame_out(&frame);
        // A WebSocket with nothing held back writes straight through: no buffer is allocated
        // (and kept) for it.
        if let (Active::WebSocket(ws), true) = (&self.active, self.buffer.is_empty()) {
            let (to, frame) = (*ws, self.ws_frame(frame));
            out.transmits.push_back(Transmit::WsFrame { to, frame });
            return;
        }
        self.buffer.push_back(frame);
    }

    /// Whether a volatile packet sent now would go out at once: a WebSocket that is not
    /// upgrading, or a parked GET with nothing queued (the reference's `transport.writable`),
    /// and the queue at most half full (volatile packets are the first dropped when a client
    /// falls behind).
    pub(crate) fn is_writable(&self) -> bool {
        if self.closing || self.closed || self.probe.is_some() || !self.buffer.is_empty() {
            return false;
        }
        if self.queued > self.high_water {
            return false;
        }
        match &self.active {
            Active::WebSocket(_) => true,
            Active::Polling { get } => get.is_some(),
        }
    }

    /// The driver wrote `bytes` (in [`queued_size`] units) of the frames handed to WebSocket
    /// `ws`. Reports [`Event::Drained`] when that brings the queue back to half its limit.
    pub(crate) fn handle_written(&mut self, ws: TransportId, bytes: usize, out: &mut Outbox) {
        if !matches!(self.active, Active::WebSocket(w) if w == ws) || self.closed {
            return; // A probe's `3probe` is not counted, nor its writes.
        }
        self.dequeue(bytes, out);
    }

    /// Takes `bytes` off the queue; reports the drain if that crosses the high-water mark.
    pub(super) fn dequeue(&mut self, bytes: usize, out: &mut Outbox) {
        let before = self.queued;
        self.queued = self.queued.saturating_sub(bytes);
        if self.queued <= self.high_water {
            // A large packet taken earlier is (nearly) written: the limit is itself again.
            self.oversize = 0;
        }
        if before > self.high_water && self.queued <= self.high_water {
            out.events.push_back(Event::Drained {
                sid: self.sid.clone(),
            });
        }
    }

    /// Stops reading the client (the application is behind): a WebSocket is told to pause,
    /// POSTs wait, and a pending pong (v3: the client's next ping) is not awaited meanwhile
    /// (the client cannot be heard).
    pub(crate) fn pause(&mut self, out: &mut Outbox) {
        if self.paused || self.closed {
            return;
        }
        self.paused = true;
        self.timers.stop(Timer::PingTimeout);
        if let Active::WebSocket(ws) = self.active {
            out.transmits.push_back(Transmit::PauseRead { to: ws });
        }
    }

    /// Reads the client again: a paused WebSocket resumes, a waiting POST is taken and
    /// answered, and a pending pong is awaited again for a whole `ping_timeout`.
    pub(crate) fn resume(&mut self, now: Instant, cfg: &ServerConfig, out: &mut Outbox) {
        if !self.paused || self.closed {
            return;
        }
        self.paused = false;
        match self.protocol {
            Protocol::V4 if self.awaiting_pong => {
                self.timers.set(Timer::PingTimeout, now + cfg.ping_timeout)
            }
            Protocol::V4 => {}
            // The client's pings could not be heard meanwhile: a whole period from now.
            Protocol::V3 => self
                .timers
                .set(Timer::PingTimeout, now + super::v3_heartbeat(cfg)),
        }
        if let Active::WebSocket(ws) = self.active {
            out.transmits.push_back(Transmit::ResumeRead { to: ws });
        }
        if let Some(p) = self.parked_post.take() {
            out.bindings.remove(&p.id);
            self.take_post(now, p.id, p.body, p.binary, p.headers, cfg, out);
        }
    }
}
