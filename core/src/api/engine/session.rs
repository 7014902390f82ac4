//! [`EngineSession`]: one Engine.IO session of an [`EngineIo`] in raw Engine.IO mode (no
//! Socket.IO layer above), as the application holds it.

use std::future::poll_fn;
use std::task::{Context, Poll};

use super::EngineIo;
use crate::engine::server::{CloseReason, SendError, TransportKind};
use crate::engine::{Frame, Packet};
use crate::Str;

/// One Engine.IO session, as the application sees it: messages in and out.
///
/// Dropping the handle closes the session ("forced close").
pub struct EngineSession {
    pub(super) io: EngineIo,
    pub(super) sid: Str,
}

impl std::fmt::Debug for EngineSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineSession")
            .field("sid", &self.sid)
            .finish()
    }
}

impl EngineSession {
    /// The session id.
    pub fn sid(&self) -> &Str {
        &self.sid
    }

    /// The query pairs of the handshake request.
    pub fn query(&self) -> Vec<(String, String)> {
        let st = self.io.lock();
        st.sessions
            .get(&self.sid)
            .map(|s| s.query.clone())
            .unwrap_or_default()
    }

    /// The transport the session runs on now.
    pub fn transport(&self) -> TransportKind {
        let st = self.io.lock();
        st.sessions
            .get(&self.sid)
            .map_or(TransportKind::Polling, |s| s.transport)
    }

    /// The protocol revision the session speaks (v3 only with
    /// [`allow_eio3`](crate::engine::server::ServerConfig::allow_eio3)).
    pub fn protocol(&self) -> crate::engine::Protocol {
        let st = self.io.lock();
        st.server.protocol_of(&self.sid).unwrap_or_default()
    }

    /// Why the session closed, once it has.
    pub fn close_reason(&self) -> Option<CloseReason> {
        let st = self.io.lock();
        st.sessions.get(&self.sid).and_then(|s| s.closed)
    }

    /// Queues a message ([`Packet::Message`] or [`Packet::Binary`]).
    pub fn send(&self, packet: Packet) -> Result<(), SendError> {
        self.io.with(None, |st| st.server.send(&self.sid, packet))
    }

    /// Queues an encoded message frame (shared between recipients of a broadcast), in the
    /// session's wire format: [`protocol`](Self::protocol)`.encode(&packet)` (a v3 binary frame
    /// starts with its type byte).
    pub fn send_frame(&self, frame: Frame) -> Result<(), SendError> {
        self.io
            .with(None, |st| st.server.send_frame(&self.sid, frame))
    }

    /// The next message from the client; `None` once the session is closed and every message
    /// received before was taken.
    pub fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<Packet>> {
        let mut st = self.io.lock();
        let Some(s) = st.sessions.get_mut(&self.sid) else {
            return Poll::Ready(None);
        };
        if let Some(p) = s.inbox.pop_front() {
            return Poll::Ready(Some(p));
        }
        if s.closed.is_some() {
            return Poll::Ready(None);
        }
        s.waker = Some(cx.waker().clone());
        Poll::Pending
    }

    /// The next message from the client; `None` once the session is closed.
    pub async fn recv(&self) -> Option<Packet> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Closes the session once what is queued is delivered ("forced close").
    pub fn close(&self) {
        self.io.with(None, |st| {
            if let Some(now) = st.last_now {
                let _ = st.server.close(now, &self.sid);
            }
        });
    }
}

impl Drop for EngineSession {
    fn drop(&mut self) {
        self.io.with(None, |st| {
            let open = match st.sessions.get_mut(&self.sid) {
                Some(s) if s.closed.is_none() => {
                    s.held = false;
                    s.inbox.clear();
                    true
                }
                Some(_) => {
                    st.sessions.remove(&self.sid);
                    false
                }
                None => false,
            };
            if let (true, Some(now)) = (open, st.last_now) {
                let _ = st.server.close(now, &self.sid);
            }
        });
    }
}
