//! Who may open the dashboard: the reference's basic authentication (a user name and a bcrypt
//! hash of the password, checked by a middleware on the admin namespace) and its session ids
//! (after a login the UI gets `session` and reconnects with `{ sessionId }` instead of the
//! password).

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};

use super::super::{ClusterFuture, ConnectError, ConnectRequest, Namespace, Socket};
use crate::engine::server::sid::{os_seed, SidGenerator};

/// Who may connect to the dashboard's namespace.
#[derive(Clone)]
#[non_exhaustive]
pub enum AdminAuth {
    /// Anyone (the reference's `auth: false`): use with caution.
    None,
    /// A user name and a bcrypt hash of the password (`$2a$`, `$2b$` or `$2y$`, e.g. from
    /// `htpasswd -bnBC 10 "" PASSWORD` or Node's `bcrypt.hashSync(password, 10)`).
    Basic {
        /// The user name.
        username: String,
        /// The bcrypt hash of the password.
        password_hash: String,
    },
}

impl fmt::Debug for AdminAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdminAuth::None => f.write_str("None"),
            AdminAuth::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .finish_non_exhaustive(),
        }
    }
}

/// The password hash given is not a bcrypt hash (the reference's "the `password` field must
/// be a valid bcrypt hash").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidHash;

impl fmt::Display for InvalidHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the password must be a valid bcrypt hash")
    }
}

impl std::error::Error for InvalidHash {}

pub(super) fn check(auth: &AdminAuth) -> Result<(), InvalidHash> {
    match auth {
        AdminAuth::None => Ok(()),
        AdminAuth::Basic { password_hash, .. } => password_hash
            .parse::<bcrypt::HashParts>()
            .map(drop)
            .map_err(|_| InvalidHash),
    }
}

/// The most sessions kept; the oldest is forgotten beyond (its UI logs in again).
const MAX_SESSIONS: usize = 1000;

/// The session ids handed out after a login (in memory: each server of a cluster knows its
/// own, as the reference's `InMemoryStore`).
#[derive(Clone)]
pub(super) struct Sessions(Arc<Mutex<State>>);

struct State {
    ids: VecDeque<String>,
    gen: SidGenerator,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions(Arc::new(Mutex::new(State {
            ids: VecDeque::new(),
            gen: SidGenerator::new(os_seed()),
        })))
    }
}

/// What the UI sends as its CONNECT payload: `{sessionId}` or `{username, password}`.
#[derive(Default)]
struct Credentials {
    session_id: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

impl Credentials {
    fn read(auth: Option<serde_json::Value>) -> Self {
        let Some(auth) = auth else {
            return Credentials::default();
        };
        let field = |name: &str| auth.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        Credentials {
            session_id: field("sessionId"),
            username: field("username"),
            password: field("password"),
        }
    }
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn exists(&self, id: &str) -> bool {
        self.lock().ids.iter().any(|s| s == id)
    }

    /// A new session for a socket that logged in with its password (`None` for one that came
    /// with a session id, or when no password is asked).
    pub(super) fn login(&self, socket: &Socket) -> Option<String> {
        let auth = socket.handshake()?.auth?;
        let creds = Credentials::read(serde_json::from_str(auth.as_str()).ok());
        if creds
            .session_id
            .as_deref()
            .is_some_and(|id| self.exists(id))
        {
            return None;
        }
        creds.password.as_ref()?;
        let mut st = self.lock();
        let id = st.gen.next_sid().as_str().to_owned();
        if st.ids.len() >= MAX_SESSIONS {
            st.ids.pop_front();
        }
        st.ids.push_back(id.clone());
        Some(id)
    }
}

/// The middleware of the admin namespace.
pub(super) fn install(nsp: &Namespace, auth: AdminAuth, sessions: Sessions) {
    let AdminAuth::Basic {
        username,
        password_hash,
    } = auth
    else {
        return;
    };
    let rt = nsp.io.rt().clone();
    let (username, password_hash) = (Arc::new(username), Arc::new(password_hash));
    nsp.use_middleware(move |req: ConnectRequest| {
        let creds = Credentials::read(req.auth());
        let (rt, sessions) = (rt.clone(), sessions.clone());
        let (username, hash) = (username.clone(), password_hash.clone());
        async move {
            if creds
                .session_id
                .as_deref()
                .is_some_and(|id| sessions.exists(id))
            {
                return Ok(());
            }
            let refused = || ConnectError::new("invalid credentials");
            let (Some(user), Some(password)) = (creds.username, creds.password) else {
                return Err(refused());
            };
            if user != *username {
                return Err(refused());
            }
            // Checking a bcrypt hash takes tens of milliseconds on purpose: off the tasks.
            let (slot, answer) = ClusterFuture::<bool>::pair();
            rt.spawn_blocking(Box::new(move || {
                let ok = bcrypt::verify(password.as_bytes(), &hash).unwrap_or(false);
                slot.complete(Ok(ok));
            }));
            match answer.await {
                Ok(true) => Ok(()),
                _ => Err(refused()),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "changeit", as in `@socket.io/admin-ui`'s README.
    const HASH: &str = "$2b$10$heqvAkYMez.Va6Et2uXInOnkCT6/uQj1brkrbyG3LpopDklcq7ZOS";

    fn basic(hash: &str) -> AdminAuth {
        AdminAuth::Basic {
            username: "admin".into(),
            password_hash: hash.into(),
        }
    }

    #[test]
    fn only_bcrypt_hashes_are_accepted_and_they_check_passwords() {
        assert_eq!(check(&basic(HASH)), Ok(()));
        assert_eq!(check(&basic("changeit")), Err(InvalidHash));
        assert_eq!(check(&AdminAuth::None), Ok(()));
        assert!(bcrypt::verify("changeit", HASH).unwrap());
        assert!(!bcrypt::verify("wrong", HASH).unwrap());
    }

    #[test]
    fn credentials_are_read_from_the_connect_payload() {
        let c = Credentials::read(
            serde_json::from_str(r#"{"sessionId":"s","username":"u","password":"p"}"#).ok(),
        );
        assert_eq!(c.session_id.as_deref(), Some("s"));
        assert_eq!(c.username.as_deref(), Some("u"));
        assert_eq!(c.password.as_deref(), Some("p"));
        let none = Credentials::read(None);
        assert!(none.session_id.is_none() && none.password.is_none());
    }
}
