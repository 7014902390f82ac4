//! The application's sends on the Engine.IO server: a message, encoded frames, several
//! packets to one session at once, volatile frames, and the sends by [`SessionHint`]; each
//! counted against the session's limit (see [`Server`]'s docs on backpressure).

use smallvec::SmallVec;

use super::session::{Outbox, Session};
use super::{SendError, Server, ServerConfig, SessionHint};
use crate::engine::{Frame, Packet, PacketType};

impl Server {
    /// Queues a message ([`Packet::Message`] or [`Packet::Binary`]) for session `sid`,
    /// encoded for the session's protocol revision.
    pub fn send(&mut self, sid: &str, packet: Packet) -> Result<(), SendError> {
        if !matches!(packet, Packet::Message(_) | Packet::Binary(_)) {
            return Err(SendError::NotAMessage);
        }
        let protocol = self.protocol_of(sid).ok_or(SendError::UnknownSession)?;
        self.send_frame(sid, protocol.encode(&packet))
    }

    /// Queues an encoded message frame for session `sid`: a text frame starting with `4`, or
    /// a binary frame, as [`Protocol::encode`](crate::engine::Protocol::encode) makes them for the session's
    /// [`protocol_of`](Self::protocol_of) (a v3 binary frame starts with its type byte; see
    /// [`v3::wire_frames`](crate::engine::v3::wire_frames)). Broadcasts encode once per
    /// revision and share the frames.
    pub fn send_frame(
        &mut self,
        sid: &(impl AsRef<[u8]> + ?Sized),
        frame: Frame,
    ) -> Result<(), SendError> {
        message_frame(&frame)?;
        self.sending(SessionHint::NONE, sid.as_ref(), |s, cfg, out| {
            s.send_frame(frame, cfg, out)
        })
    }

    /// Where the server keeps session `sid` ([`SessionHint::NONE`] if it has none): given to
    /// [`send_frame_hinted`](Self::send_frame_hinted) and
    /// [`send_frames_hinted`](Self::send_frames_hinted) with a handle to the same id buffer,
    /// it finds the session without hashing the id.
    pub fn session_hint(&self, sid: &(impl AsRef<[u8]> + ?Sized)) -> SessionHint {
        self.sessions
            .index_of(sid)
            .map_or(SessionHint::NONE, SessionHint)
    }

    /// [`send_frame`](Self::send_frame), trying the session at `hint` first (see
    /// [`SessionHint`]): for a caller sending to many sessions in turn (a broadcast).
    pub fn send_frame_hinted(
        &mut self,
        hint: SessionHint,
        sid: &(impl AsRef<[u8]> + ?Sized),
        frame: Frame,
    ) -> Result<(), SendError> {
        message_frame(&frame)?;
        self.sending(hint, sid.as_ref(), |s, cfg, out| {
            s.send_frame(frame, cfg, out)
        })
    }

    /// [`send_frames`](Self::send_frames), trying the session at `hint` first (see
    /// [`SessionHint`]).
    pub fn send_frames_hinted(
        &mut self,
        hint: SessionHint,
        sid: &(impl AsRef<[u8]> + ?Sized),
        frames: &[Frame],
    ) -> Result<(), SendError> {
        if let Some(frame) = frames.first() {
            message_frame(frame)?;
        }
        self.sending(hint, sid.as_ref(), |s, cfg, out| {
            s.send_frames(frames, cfg, out)
        })
    }

    /// Queues frames (one packet: text, then attachments) for session `sid` only if its
    /// transport can write them now, as the reference's volatile emits; returns whether they
    /// were queued (dropped otherwise).
    pub fn send_volatile(
        &mut self,
        sid: &(impl AsRef<[u8]> + ?Sized),
        frames: &[Frame],
    ) -> Result<bool, SendError> {
        self.sending(SessionHint::NONE, sid.as_ref(), |s, cfg, out| {
            let writable = s.is_writable();
            if writable {
                s.send_frames(frames, cfg, out);
            }
            writable
        })
    }

    /// Queues the frames of one packet (from [`Packet::encode`] and the Socket.IO codec: a
    /// text frame starting with `4`, then its binary attachments) for session `sid`, counted
    /// as one against [`ServerConfig::max_buffered_bytes`]: all of them or none.
    pub fn send_frames(
        &mut self,
        sid: &(impl AsRef<[u8]> + ?Sized),
        frames: &[Frame],
    ) -> Result<(), SendError> {
        if let Some(frame) = frames.first() {
            message_frame(frame)?;
        }
        self.sending(SessionHint::NONE, sid.as_ref(), |s, cfg, out| {
            s.send_frames(frames, cfg, out)
        })
    }

    /// [`send_frames`](Self::send_frames) for several packets in a row to session `sid`
    /// (each item one packet's frames), with one lookup of the session for all of them and
    /// one write at the end: a parked long-poll GET is answered once, with the whole run
    /// (`send_frames` packet by packet would answer it with the first alone). A packet that
    /// is not a message is refused (the first such error is returned) and the
    /// others are queued; once the session closes ("send buffer full"), the rest are dropped
    /// and not taken from `packets`.
    pub fn send_packets(
        &mut self,
        sid: &(impl AsRef<[u8]> + ?Sized),
        packets: impl IntoIterator<Item = SmallVec<[Frame; 1]>>,
    ) -> Result<(), SendError> {
        let key = sid.as_ref();
        let s = self
            .sessions
            .get_mut(key)
            .ok_or(SendError::UnknownSession)?;
        let mut result = Ok(());
        // Queued, then written once (a parked GET answered with the whole run).
        for frames in packets {
            if let Some(Err(e)) = frames.first().map(message_frame) {
                result = result.and(Err(e));
                continue;
            }
            s.send_in_run(&frames, &self.config, &mut self.out);
            if s.is_closed() {
                self.sessions.remove(key);
                self.next_deadline = None;
                return result;
            }
        }
        s.flush_run(&mut self.out);
        if s.is_closed() {
            self.sessions.remove(key);
            self.next_deadline = None;
        }
        result
    }

    /// Runs a send on session `key`, tried at `hint` first ([`SessionHint::NONE`]: by the
    /// hash table alone, as for a broadcast's deliveries, where a remembered position would
    /// only be tried and missed); forgets the session if the send closed it (a client too far
    /// behind: "send buffer full").
    #[inline]
    fn sending<R>(
        &mut self,
        hint: SessionHint,
        key: &[u8],
        send: impl FnOnce(&mut Session, &ServerConfig, &mut Outbox) -> R,
    ) -> Result<R, SendError> {
        let (at, s) = self
            .sessions
            .get_mut_hinted(hint.0, key)
            .ok_or(SendError::UnknownSession)?;
        let r = send(s, &self.config, &mut self.out);
        if s.is_closed() {
            self.sessions.remove_at(at);
            self.next_deadline = None;
        }
        Ok(r)
    }
}

/// Only messages may be sent by the application: a text frame must be a `4` packet.
fn message_frame(frame: &Frame) -> Result<(), SendError> {
    match frame {
        Frame::Text(t) if t.as_bytes().first() != Some(&PacketType::Message.as_byte()) => {
            Err(SendError::NotAMessage)
        }
        _ => Ok(()),
    }
}
