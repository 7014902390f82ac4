//! [`SocketServerConfig`] and [`RecoveryConfig`].

use std::fmt;
use std::time::Duration;

use crate::socket::DEFAULT_MAX_ATTACHMENTS;

/// Settings of a [`SocketServer`](super::SocketServer).
#[derive(Clone)]
pub struct SocketServerConfig {
    /// How long an Engine.IO connection may stay without joining any namespace before the
    /// server closes it (reference `connectTimeout`, 45 s).
    pub connect_timeout: Duration,
    /// The most attachments a binary packet may announce (reference `maxAttachments`, 10).
    pub max_attachments: usize,
    /// Connection state recovery (reference `connectionStateRecovery`); `None` disables it.
    pub recovery: Option<RecoveryConfig>,
    /// Seed of the generator of socket ids and private session ids (ChaCha20). The default
    /// draws it from the operating system; fix it only in tests.
    pub id_seed: [u8; 32],
}

impl Default for SocketServerConfig {
    fn default() -> Self {
        SocketServerConfig {
            connect_timeout: Duration::from_millis(45_000),
            max_attachments: DEFAULT_MAX_ATTACHMENTS,
            recovery: None,
            id_seed: crate::engine::server::sid::os_seed(),
        }
    }
}

impl fmt::Debug for SocketServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketServerConfig")
            .field("connect_timeout", &self.connect_timeout)
            .field("max_attachments", &self.max_attachments)
            .field("recovery", &self.recovery)
            .finish_non_exhaustive()
    }
}

/// Connection state recovery: sockets that lost their connection keep their id, rooms and
/// missed events for a while, and get them back when the client reconnects in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryConfig {
    /// How long a disconnected socket's session is kept (reference 2 min).
    pub max_disconnection_duration: Duration,
    /// Whether a recovered socket skips the connect middleware, i.e. gets no
    /// [`ConnectRequest`](super::SocketEvent::ConnectRequest) (reference true).
    pub skip_middlewares: bool,
}

impl Default for RecoveryConfig {
    fn default() -> Self {
        RecoveryConfig {
            max_disconnection_duration: Duration::from_secs(120),
            skip_middlewares: true,
        }
    }
}
