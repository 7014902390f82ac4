//! A sio server instrumented for the Socket.IO Admin UI, for `tests/tests/admin_ui.rs`: the
//! contract of `tests/js/admin-reference-server.mjs` (npm `socket.io` with
//! `@socket.io/admin-ui`'s `instrument()`), on the driver named by `--driver`.
//!
//! `sio-admin-node --driver tokio|smol [--redis redis://…] [--server-id ID]`; prints
//! `listening <port>`. The admin namespace `/admin` asks for user `admin`, password
//! `changeit`; CORS reflects any origin with credentials (the UI is served from another
//! origin, as the hosted one is). Clients of `/` connect with `?room=<room>` to join it.

use sio_core::api::socketio::admin::{AdminAuth, AdminConfig};
use sio_core::api::socketio::{Socket, SocketIo, SocketIoConfig};
use sio_core::engine::server::{AllowedOrigins, Cors};

/// bcrypt of "changeit" (the hash in `@socket.io/admin-ui`'s README).
pub const PASSWORD_HASH: &str = "$2b$10$heqvAkYMez.Va6Et2uXInOnkCT6/uQj1brkrbyG3LpopDklcq7ZOS";

fn config() -> SocketIoConfig {
    let mut config = SocketIoConfig::default();
    config.engine.cors = Some(Cors {
        origins: AllowedOrigins::Reflect,
        credentials: true,
    });
    config
}

fn admin(server_id: &str) -> AdminConfig {
    let mut admin = AdminConfig::new(AdminAuth::Basic {
        username: "admin".to_owned(),
        password_hash: PASSWORD_HASH.to_owned(),
    });
    if !server_id.is_empty() {
        admin.server_id = Some(server_id.to_owned());
    }
    admin
}

fn setup(io: &SocketIo) {
    io.of("/").on_connection(|socket: Socket| async move {
        let room = socket
            .handshake()
            .and_then(|h| h.query("room").map(str::to_owned));
        if let Some(room) = room {
            let _ = socket.join(room);
        }
    });
}

fn main() {
    let (mut driver, mut redis, mut server_id) = (String::new(), String::new(), String::new());
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--driver" => driver = value,
            "--redis" => redis = value,
            "--server-id" => server_id = value,
            other => panic!("unknown flag {other}"),
        }
    }
    match driver.as_str() {
        "tokio" => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let server = sio_tokio::SocketIoServer::new(config());
                setup(server.io());
                server.instrument_admin(admin(&server_id)).expect("hash");
                let _adapter = if redis.is_empty() {
                    None
                } else {
                    let a = sio_tokio::RedisAdapter::connect(&server, &redis).await;
                    Some(a.expect("redis"))
                };
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
                    .await
                    .expect("bind");
                println!("listening {}", listener.local_addr().expect("addr").port());
                server.serve(listener).await.expect("serve");
            });
        }
        "smol" => smol::block_on(async move {
            let server = sio_smol::SocketIoServer::new(config());
            setup(server.io());
            server.instrument_admin(admin(&server_id)).expect("hash");
            let _adapter = if redis.is_empty() {
                None
            } else {
                let a = sio_smol::RedisAdapter::connect(&server, &redis).await;
                Some(a.expect("redis"))
            };
            let listener = smol::net::TcpListener::bind(("127.0.0.1", 0))
                .await
                .expect("bind");
            println!("listening {}", listener.local_addr().expect("addr").port());
            server.serve(listener).await.expect("serve");
        }),
        other => panic!("unknown driver {other}"),
    }
}
