//! The sio chat demo: an axum application serving the page (`tests/demo/`) with sio's
//! Socket.IO server mounted beside its routes as a tower layer, instrumented for the
//! Socket.IO Admin UI.
//!
//! `cargo run -p sio-tests --bin demo [-- --port 3000]`, then open http://127.0.0.1:3000/ in
//! two browser windows. The event protocol is described at the top of `tests/demo/chat.js`.
//! The browser client is npm's `socket.io-client` bundle (installed under `tests/js` by
//! `npm ci`, which this program runs once if it is missing).
//!
//! Operating it: http://127.0.0.1:3000/ops shows the chat and the Admin UI dashboard side by
//! side; the dashboard alone is at `/admin-ui/` (the static build of `@socket.io/admin-ui`,
//! served from `tests/js/node_modules`; log in with the page's URL, user `admin`, password
//! `changeit`), and `/metrics` serves the server's metrics in the Prometheus text format.
//! `RUST_LOG=debug` (or `info`, the default) prints sio's tracing events on stderr.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use sio_tokio::admin::{AdminAuth, AdminConfig};
use sio_tokio::{
    ConnectError, DisconnectReason, Message, Socket, SocketIo, SocketIoConfig, SocketIoServer,
};

const MAX_NICK: usize = 32;
const MAX_ROOM: usize = 32;
const MAX_TEXT: usize = 500;

const INDEX: &str = include_str!("../../demo/index.html");
const OPS: &str = include_str!("../../demo/ops.html");
/// bcrypt of the dashboard's password, "changeit" (the hash in `@socket.io/admin-ui`'s README).
const ADMIN_PASSWORD_HASH: &str = "$2b$10$heqvAkYMez.Va6Et2uXInOnkCT6/uQj1brkrbyG3LpopDklcq7ZOS";
const CHAT_JS: &str = include_str!("../../demo/chat.js");
const CHAT_CSS: &str = include_str!("../../demo/chat.css");

/// What the server keeps for each socket (`socket.data`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Member {
    nick: String,
    room: Option<String>,
}

#[derive(Serialize)]
struct ChatMessage<'a> {
    id: u64,
    room: &'a str,
    nick: &'a str,
    text: &'a str,
    at: u64,
}

#[derive(Serialize)]
struct Users<'a> {
    room: &'a str,
    users: Vec<String>,
}

fn clean(s: Option<String>, max: usize) -> Option<String> {
    let t = s?.trim().to_owned();
    (1..=max).contains(&t.chars().count()).then_some(t)
}

fn unix_millis() -> u64 {
    std::time::SystemTime::UNIX_EPOCH
        .elapsed()
        .map_or(0, |d| d.as_millis() as u64)
}

/// Nicks of the sockets in `room`, one per socket, sorted; `without` is left out (a socket on
/// its way out).
fn users_of(io: &SocketIo, room: &str, without: Option<&str>) -> Vec<String> {
    let mut nicks: Vec<String> = io
        .sockets()
        .to(room.to_owned())
        .fetch_sockets()
        .into_iter()
        .filter(|s| Some(s.id.as_str()) != without)
        .filter_map(|s| s.data.get("nick")?.as_str().map(str::to_owned))
        .collect();
    nicks.sort();
    nicks
}

/// Leaves the socket's chat room, if any, telling the ones who stay.
fn leave_room(io: &SocketIo, socket: &Socket, member: &mut Member, leaving: bool) {
    let Some(room) = member.room.take() else {
        return;
    };
    socket.leave(&room);
    let others = io
        .sockets()
        .to(room.clone())
        .except(socket.id().as_str().to_owned());
    let _ = others.emit(
        "system",
        &serde_json::json!({ "text": format!("{} left", member.nick) }),
    );
    let without = leaving.then(|| socket.id().as_str());
    let users = Users {
        room: &room,
        users: users_of(io, &room, without),
    };
    let _ = others.emit("users", &users);
}

fn setup(io: &SocketIo) {
    let main = io.sockets();
    main.use_middleware(|req| async move {
        let nick = req
            .auth::<serde_json::Value>()
            .and_then(|a| a.get("nick")?.as_str().map(str::to_owned));
        match clean(nick, MAX_NICK) {
            Some(_) => Ok(()),
            None => Err(ConnectError::new("invalid nick")),
        }
    });
    let next_id = Arc::new(AtomicU64::new(1));
    let app = io.clone();
    main.on_connection(move |socket: Socket| {
        let io = app.clone();
        let next_id = next_id.clone();
        async move {
            let nick = socket
                .handshake()
                .and_then(|h| h.auth)
                .and_then(|a| serde_json::from_str::<serde_json::Value>(&a).ok())
                .and_then(|a| a.get("nick")?.as_str().map(str::to_owned));
            let member = Member {
                nick: clean(nick, MAX_NICK).unwrap_or_default(),
                room: None,
            };
            let _ = socket.set_data(&member);

            let io_join = io.clone();
            socket.on("join", move |socket: Socket, msg: Message| {
                let io = io_join.clone();
                async move {
                    let Some(room) = clean(msg.arg(0).ok(), MAX_ROOM) else {
                        let _ = msg.ack(&serde_json::json!({ "error": "invalid room" }));
                        return;
                    };
                    let mut m: Member = socket.data().unwrap_or_default();
                    if m.room.as_deref() != Some(&room) {
                        leave_room(&io, &socket, &mut m, false);
                        m.room = Some(room.clone());
                        let _ = socket.set_data(&m);
                        if socket.join(room.clone()).is_err() {
                            let _ = msg.ack(&serde_json::json!({ "error": "too many rooms" }));
                            return;
                        }
                        let text = format!("{} joined", m.nick);
                        let _ = socket
                            .to(room.clone())
                            .emit("system", &serde_json::json!({ "text": text }));
                        let users = Users {
                            room: &room,
                            users: users_of(&io, &room, None),
                        };
                        let _ = io.sockets().to(room.clone()).emit("users", &users);
                    }
                    let _ = msg.ack(&Users {
                        room: &room,
                        users: users_of(&io, &room, None),
                    });
                }
            });

            let io_msg = io.clone();
            socket.on("message", move |socket: Socket, msg: Message| {
                let (io, next_id) = (io_msg.clone(), next_id.clone());
                async move {
                    let m: Member = socket.data().unwrap_or_default();
                    let Some(room) = m.room else {
                        let _ =
                            msg.ack(&serde_json::json!({ "ok": false, "error": "not in a room" }));
                        return;
                    };
                    let Some(text) = clean(msg.arg(0).ok(), MAX_TEXT) else {
                        let _ =
                            msg.ack(&serde_json::json!({ "ok": false, "error": "invalid text" }));
                        return;
                    };
                    let id = next_id.fetch_add(1, Ordering::Relaxed);
                    let message = ChatMessage {
                        id,
                        room: &room,
                        nick: &m.nick,
                        text: &text,
                        at: unix_millis(),
                    };
                    let _ = io.sockets().to(room.clone()).emit("message", &message);
                    let _ = msg.ack(&serde_json::json!({ "ok": true, "id": id }));
                }
            });

            socket.on("typing", |socket: Socket, msg: Message| async move {
                let m: Member = socket.data().unwrap_or_default();
                if let Some(room) = m.room {
                    let typing = msg.arg::<bool>(0).unwrap_or(false);
                    let _ = socket.to(room).emit(
                        "typing",
                        &serde_json::json!({ "nick": m.nick, "typing": typing }),
                    );
                }
            });

            // While leaving, the socket's data and rooms are still readable.
            let io_bye = io.clone();
            socket.on_disconnecting(move |socket: Socket, _reason: DisconnectReason| {
                let io = io_bye.clone();
                async move {
                    let mut m: Member = socket.data().unwrap_or_default();
                    leave_room(&io, &socket, &mut m, true);
                }
            });
        }
    });
}

fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js")
}

fn client_bundle() -> PathBuf {
    js_dir().join("node_modules/socket.io-client/dist/socket.io.min.js")
}

/// Installs the npm packages (for the browser client bundle) if they are missing.
fn ensure_client_bundle() {
    if client_bundle().is_file() {
        return;
    }
    eprintln!("installing the browser client (npm ci in tests/js)…");
    let ok = std::process::Command::new("npm")
        .args([
            "ci",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
        ])
        .arg(js_dir())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("npm ci failed: the page will load without its Socket.IO client");
    }
}

async fn bundle() -> impl IntoResponse {
    match std::fs::read(client_bundle()) {
        Ok(body) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
            body,
        )
            .into_response(),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "socket.io-client is not installed: run `npm ci --prefix tests/js`",
        )
            .into_response(),
    }
}

fn page(body: &'static str, kind: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, kind)], body)
}

fn admin_ui_dir() -> PathBuf {
    js_dir().join("node_modules/@socket.io/admin-ui/ui/dist")
}

/// A file of the Admin UI's static build (`/admin-ui/<path>`).
async fn admin_ui(path: Option<axum::extract::Path<String>>) -> impl IntoResponse {
    let path = path.map_or_else(|| "index.html".to_owned(), |p| p.0);
    let safe = !path.split('/').any(|part| part == ".." || part.is_empty());
    let kind = match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    };
    match std::fs::read(admin_ui_dir().join(&path))
        .ok()
        .filter(|_| safe)
    {
        Some(body) => (StatusCode::OK, [(header::CONTENT_TYPE, kind)], body).into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

fn main() {
    let mut port = 3000u16;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--port" => port = it.next().and_then(|p| p.parse().ok()).expect("--port N"),
            other => panic!("unknown flag {other} (usage: demo [--port N])"),
        }
    }
    // sio's tracing events on stderr, at the level RUST_LOG names (info by default).
    let level = std::env::var("RUST_LOG")
        .ok()
        .and_then(|l| l.parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .init();
    ensure_client_bundle();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let sio = SocketIoServer::new(SocketIoConfig::default());
        setup(sio.io());
        sio.instrument_admin(AdminConfig::new(AdminAuth::Basic {
            username: "admin".to_owned(),
            password_hash: ADMIN_PASSWORD_HASH.to_owned(),
        }))
        .expect("a bcrypt hash");
        let io = sio.io().clone();
        let app = axum::Router::new()
            .route(
                "/",
                get(|| async { page(INDEX, "text/html; charset=utf-8") }),
            )
            .route(
                "/index.html",
                get(|| async { page(INDEX, "text/html; charset=utf-8") }),
            )
            .route(
                "/chat.js",
                get(|| async { page(CHAT_JS, "text/javascript; charset=utf-8") }),
            )
            .route(
                "/chat.css",
                get(|| async { page(CHAT_CSS, "text/css; charset=utf-8") }),
            )
            .route("/socket.io.min.js", get(bundle))
            .route(
                "/ops",
                get(|| async { page(OPS, "text/html; charset=utf-8") }),
            )
            .route(
                "/admin-ui",
                get(|| async { axum::response::Redirect::permanent("/admin-ui/") }),
            )
            .route("/admin-ui/", get(admin_ui))
            .route("/admin-ui/{*path}", get(admin_ui))
            .route(
                "/metrics",
                get(move || {
                    let text = io.metrics().to_prometheus();
                    async move { ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text) }
                }),
            )
            .layer(sio.layer());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        println!("listening {port}");
        eprintln!("sio chat demo: open http://127.0.0.1:{port}/ in two browser windows");
        eprintln!(
            "chat and Admin UI side by side: http://127.0.0.1:{port}/ops (dashboard login: \
             server URL http://127.0.0.1:{port}, user admin, password changeit); \
             metrics: http://127.0.0.1:{port}/metrics"
        );
        axum::serve(listener, app).await.expect("serve");
    });
}
