//! [`SessionHint`]: where the server keeps a session, for a caller that sends to it often.

/// Where [`Server`](super::Server) keeps a session, from
/// [`session_hint`](super::Server::session_hint): a send given it
/// ([`send_frame_hinted`](super::Server::send_frame_hinted)) finds the session without hashing
/// its id, which is what a broadcast to many sessions would do for each. A hint is only a
/// shortcut, never trusted: the session there is taken only if its id is the very buffer the
/// send names (the same bytes at the same address, so the same id, with nothing read); a stale
/// hint (the session gone, its place reused), a wrong one or another copy of the id just costs
/// the usual lookup. [`SessionHint::NONE`] always does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionHint(pub(crate) u32);

impl SessionHint {
    /// No hint: the send looks the session up by its id.
    pub const NONE: SessionHint = SessionHint(u32::MAX);
}

impl Default for SessionHint {
    fn default() -> Self {
        SessionHint::NONE
    }
}
