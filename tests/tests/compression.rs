//! Compression against real peers over loopback, on both drivers:
//!
//! - permessage-deflate (RFC 7692): npm `socket.io-client` 4.8 (`ws` 8 under it, offering
//!   the extension with `threshold: 0`) against sio's server with it on, over WebSocket and
//!   the upgrade, with and without context takeover; the client sees the extension agreed and
//!   its TCP socket carries far fewer bytes than the messages (both ends compressed). A
//!   server with it off agrees nothing. sio's client (offering it by default) against npm
//!   `socket.io` 4.8 with `perMessageDeflate: true`: the Node server reports the extension
//!   agreed and fewer bytes read than sent; and against sio's server with it on.
//! - HTTP compression of long-polling answers: raw HTTP from Node (`node:http`, no decoding)
//!   gets `Content-Encoding: gzip` / `deflate` by `Accept-Encoding` and Node's zlib decodes the
//!   body; socket.io-client on its Fetch transport (which asks for and decodes gzip) echoes
//!   200 KB; sio's client against npm `socket.io` (HTTP compression on by default) gets
//!   compressed answers (the Node server counts them).
//!
//! Scenarios: `tests/js/compression-scenarios.mjs` (npm client),
//! `sio_tests::client_scenarios::compression` (sio's client); Node server:
//! `tests/js/compression-server.mjs`.

use sio_core::engine::server::TransportKind::{self, Polling, WebSocket};
use sio_tests::client_scenarios::{self as sc, Ctx, Maker};
use sio_tests::peers::{js_dir, run_scenario, ServerProcess};

fn sio_server(driver: &str, extra: &[&str]) -> ServerProcess {
    let args = [&["--driver", driver][..], extra].concat();
    ServerProcess::start(env!("CARGO_BIN_EXE_sio-echo"), &args)
}

/// Runs `(scenario, transports)` pairs of `compression-scenarios.mjs` against `server`.
fn npm_client(server: &ServerProcess, runs: &[(&str, &str)], tag: &str) -> Vec<String> {
    let mut failed = Vec::new();
    for (name, transports) in runs {
        let r = run_scenario(
            "compression-scenarios.mjs",
            &server.url(),
            name,
            &["--transports", transports],
        );
        println!("{tag} {name} {transports}: {}", r.line);
        if !r.ok {
            failed.push(format!("{tag} {name} {transports}: {}", r.line));
        }
    }
    failed
}

fn npm_client_against_sio(driver: &str) {
    let on = sio_server(driver, &["--per-message-deflate", "1024"]);
    let mut failed = npm_client(
        &on,
        &[
            ("ws-deflate", "websocket"),
            ("ws-deflate", "both"),
            ("ws-plain", "websocket"),
            ("http-raw", "polling"),
            ("http-fetch", "polling"),
        ],
        driver,
    );
    let no_takeover = sio_server(
        driver,
        &[
            "--per-message-deflate",
            "1024",
            "--no-context-takeover",
            "1",
        ],
    );
    failed.extend(npm_client(
        &no_takeover,
        &[("ws-deflate", "websocket"), ("ws-deflate", "both")],
        &format!("{driver} no-context-takeover"),
    ));
    let off = sio_server(driver, &[]);
    failed.extend(npm_client(
        &off,
        &[("ws-declined", "websocket"), ("http-raw", "polling")],
        &format!("{driver} deflate off"),
    ));
    assert!(failed.is_empty(), "failed:\n{}", failed.join("\n"));
}

#[test]
fn npm_client_compresses_with_sio_on_tokio() {
    npm_client_against_sio("tokio");
}

#[test]
fn npm_client_compresses_with_sio_on_smol() {
    npm_client_against_sio("smol");
}

const MODES: [(&str, &[TransportKind]); 3] = [
    ("polling", &[Polling]),
    ("websocket", &[WebSocket]),
    ("upgrade", &[Polling, WebSocket]),
];

fn node_server(no_takeover: bool) -> ServerProcess {
    let script = js_dir().join("compression-server.mjs");
    let mut args = vec![
        script.to_str().expect("path").to_owned(),
        "--port".into(),
        "0".into(),
    ];
    if no_takeover {
        args.push("--no-context-takeover".into());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ServerProcess::start("node", &args)
}

fn run_on(driver: &str, f: impl std::future::Future<Output = ()> + Send + 'static) {
    if driver == "tokio" {
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

fn sio_client(driver: &'static str, mk: Maker) {
    for no_takeover in [false, true] {
        let node = node_server(no_takeover);
        for (mode, transports) in MODES {
            println!("{driver} client, node server (no takeover {no_takeover}), {mode}");
            let ctx = Ctx {
                url: node.url(),
                transports,
                mk,
            };
            run_on(driver, sc::compression(ctx, true));
        }
    }
    let sio = sio_server(driver, &["--per-message-deflate", "1024"]);
    for (mode, transports) in MODES {
        println!("{driver} client, sio server, {mode}");
        let ctx = Ctx {
            url: sio.url(),
            transports,
            mk,
        };
        run_on(driver, sc::compression(ctx, false));
    }
}

#[test]
fn tokio_client_compresses_with_the_node_reference_and_sio() {
    sio_client("tokio", sio_tokio::client::client);
}

#[test]
fn smol_client_compresses_with_the_node_reference_and_sio() {
    sio_client("smol", sio_smol::client::client);
}
