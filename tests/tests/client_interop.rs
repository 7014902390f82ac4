//! sio's Socket.IO client against real servers over loopback: npm `socket.io` 4.8 under Node
//! (`tests/js/sio-reference-server.mjs`) and sio's own server on both drivers
//! (`src/bin/sio-echo.rs`, the same contract), on polling, WebSocket and the upgrade, with the
//! client on tokio and on smol. Scenarios: `src/client_scenarios.rs`. The same scenarios run
//! with the msgpack parser (`socket.io-msgpack-parser` 3.0.2 on the Node server) on both client
//! drivers.

use std::future::Future;

use sio_core::engine::server::TransportKind::{self, Polling, WebSocket};
use sio_core::socket::Parser;
use sio_tests::client_scenarios::{self as sc, Ctx, Maker};
use sio_tests::peers::{js_dir, ServerProcess};
use sio_tests::proxy::Proxy;

const MODES: [(&str, &[TransportKind]); 3] = [
    ("polling", &[Polling]),
    ("websocket", &[WebSocket]),
    ("upgrade", &[Polling, WebSocket]),
];

const PING: [&str; 4] = ["--ping-interval", "300", "--ping-timeout", "200"];

fn node_server(port: u16) -> ServerProcess {
    node_server_with(port, &[])
}

fn node_server_with(port: u16, extra: &[&str]) -> ServerProcess {
    let script = js_dir().join("sio-reference-server.mjs");
    let port = port.to_string();
    let args = [
        &[script.to_str().expect("path"), "--port", &port][..],
        &PING,
        extra,
    ]
    .concat();
    ServerProcess::start("node", &args)
}

fn sio_server(driver: &str) -> ServerProcess {
    let args = [&["--driver", driver][..], &PING].concat();
    ServerProcess::start(env!("CARGO_BIN_EXE_sio-echo"), &args)
}

/// The client's driver.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Driver {
    Tokio,
    Smol,
}
use Driver::{Smol as SMOL, Tokio as TOKIO};

impl Driver {
    fn maker(self) -> Maker {
        match self {
            Driver::Tokio => sio_tokio::client::client,
            Driver::Smol => sio_smol::client::client,
        }
    }

    /// Clients with the msgpack parser.
    fn msgpack_maker(self) -> Maker {
        match self {
            Driver::Tokio => |url| sio_tokio::client::client(url).parser(Parser::MsgPack),
            Driver::Smol => |url| sio_smol::client::client(url).parser(Parser::MsgPack),
        }
    }
}

/// Runs `f` on the client driver's runtime.
fn run<F: Future<Output = ()> + Send + 'static>(driver: Driver, f: F) {
    if driver == TOKIO {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(f);
    } else {
        smol::block_on(f);
    }
}

/// Every scenario that needs only a server, in each transport mode (one server per mode).
fn scenarios(server: impl Fn() -> ServerProcess + Sync, driver: Driver, tag: &str) {
    scenarios_with(server, driver.maker(), driver, tag);
}

fn scenarios_with(server: impl Fn() -> ServerProcess + Sync, mk: Maker, driver: Driver, tag: &str) {
    std::thread::scope(|scope| {
        for (mode, transports) in MODES {
            let server = &server;
            scope.spawn(move || {
                let s = server();
                let ctx = Ctx {
                    url: s.url(),
                    transports,
                    mk,
                };
                println!("{tag} {mode}: basics");
                run(driver, sc::basics(ctx.clone()));
                println!("{tag} {mode}: namespaces");
                run(driver, sc::namespaces(ctx.clone()));
                println!("{tag} {mode}: rooms");
                run(driver, sc::rooms(ctx.clone()));
                println!("{tag} {mode}: retries");
                let key = format!("{tag}-{mode}");
                run(driver, async move { sc::retries(ctx, &key).await });
                let proxy = Proxy::start(s.port);
                let ctx = Ctx {
                    url: proxy.url(),
                    transports,
                    mk,
                };
                println!("{tag} {mode}: recovery");
                let direct = s.url();
                let proxy = std::sync::Arc::new(proxy);
                let p = proxy.clone();
                run(driver, async move {
                    sc::recovery(ctx, &direct, move || {
                        p.cut_for(std::time::Duration::from_millis(300))
                    })
                    .await
                });
            });
        }
    });
}

#[test]
fn tokio_client_with_the_node_reference_server() {
    scenarios(|| node_server(0), TOKIO, "node/tokio-client");
}

#[test]
fn tokio_client_with_the_node_reference_server_over_msgpack() {
    let server = || node_server_with(0, &["--parser", "msgpack"]);
    scenarios_with(
        server,
        TOKIO.msgpack_maker(),
        TOKIO,
        "node-msgpack/tokio-client",
    );
}

#[test]
fn smol_client_with_the_node_reference_server_over_msgpack() {
    let server = || node_server_with(0, &["--parser", "msgpack"]);
    scenarios_with(
        server,
        SMOL.msgpack_maker(),
        SMOL,
        "node-msgpack/smol-client",
    );
}

#[test]
fn smol_client_with_sio_on_tokio() {
    scenarios(|| sio_server("tokio"), SMOL, "sio-tokio/smol-client");
}

#[test]
fn tokio_client_with_sio_on_smol() {
    scenarios(|| sio_server("smol"), TOKIO, "sio-smol/tokio-client");
}

/// The Node server stops and starts again on the same port: automatic reconnection with
/// backoff, and what was emitted meanwhile is sent.
#[test]
fn reconnects_after_a_node_server_restart() {
    for (mode, transports) in MODES {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let server = node_server(port);
        let ctx = Ctx {
            url: server.url(),
            transports,
            mk: TOKIO.maker(),
        };
        println!("restart {mode}");
        let second = std::sync::Arc::new(std::sync::Mutex::new(None));
        let slot = second.clone();
        run(
            TOKIO,
            sc::restart(ctx, move || {
                drop(server);
                std::thread::sleep(std::time::Duration::from_millis(700));
                *slot.lock().unwrap() = Some(node_server(port));
            }),
        );
        // Stops the second server.
        drop(second.lock().unwrap().take());
    }
}

/// Polling reuses its HTTP/1.1 connections (keep-alive) on both client drivers.
#[test]
fn polling_keeps_its_connections_alive() {
    let server = node_server(0);
    for driver in [TOKIO, SMOL] {
        let proxy = std::sync::Arc::new(Proxy::start(server.port));
        let ctx = Ctx {
            url: proxy.url(),
            transports: &[Polling],
            mk: driver.maker(),
        };
        let p = proxy.clone();
        run(driver, async move {
            sc::keep_alive(ctx, move || p.accepted()).await
        });
    }
}

/// Connection events and socket events reach their handlers in the reference's order on a
/// multi-threaded runtime (the socket's task waits for the connection's earlier events).
#[test]
fn open_reaches_its_handlers_before_connect() {
    let server = sio_server("tokio");
    let ctx = Ctx {
        url: server.url(),
        transports: &[WebSocket],
        mk: TOKIO.maker(),
    };
    run(TOKIO, sc::open_before_connect(ctx));
}
