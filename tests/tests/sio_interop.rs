//! The official `socket.io-client` 4.8 (npm, under Node) against our Socket.IO server over real
//! loopback sockets, on polling, WebSocket and the upgrade between them: connect, echo, binary,
//! acks both ways, rooms, broadcast, namespaces (static, dynamic, middleware), disconnect
//! reasons, ordering, volatile, catch-all, connection state recovery, auth and query.
//! Scenarios: `tests/js/sio-scenarios.mjs`; server: `src/bin/sio-echo.rs` on each async driver
//! (the contract of `tests/js/sio-reference-server.mjs`, which runs the same scenarios on npm
//! `socket.io`). The same scenarios run again with `socket.io-msgpack-parser` 3.0.2 on both
//! sides (`--parser msgpack`).

use sio_tests::peers::{run_scenario, ServerProcess};

const PING: [&str; 4] = ["--ping-interval", "300", "--ping-timeout", "200"];

const SCENARIOS: [&str; 13] = [
    "connect",
    "echo",
    "binary",
    "acks-from-server",
    "rooms",
    "broadcast",
    "namespaces",
    "disconnect-reasons",
    "ordering",
    "volatile",
    "catch-all",
    "recovery",
    "auth-and-query",
];

/// Runs every scenario against `sio-echo --driver <driver> --parser <parser>`: one server per
/// transport setting, run side by side (scenarios such as `broadcast` count every socket of the
/// server, so they must not share one).
fn all_scenarios_pass(driver: &'static str, parser: &'static str) {
    // One driver/parser pair at a time (each runs three servers and their Node clients side by
    // side): four pairs at once put twelve Node processes on a 2-core CI machine, where the
    // scenarios' 300/200 ms heartbeat then times out.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let threads: Vec<_> = ["polling", "websocket", "both"]
        .into_iter()
        .map(|transports| {
            std::thread::spawn(move || {
                let args = [&["--driver", driver, "--parser", parser][..], &PING].concat();
                let server = ServerProcess::start(env!("CARGO_BIN_EXE_sio-echo"), &args);
                let url = server.url();
                let mut failed = Vec::new();
                for name in SCENARIOS {
                    let mut extra = vec!["--transports", transports, "--parser", parser];
                    extra.extend(PING);
                    let r = run_scenario("sio-scenarios.mjs", &url, name, &extra);
                    println!(
                        "{driver} {parser} {transports} {name}: {}",
                        if r.ok { "ok" } else { "FAILED" }
                    );
                    if !r.ok {
                        failed.push(format!("{transports} {name}: {}", r.line));
                    }
                }
                failed
            })
        })
        .collect();
    let failed: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("scenario thread"))
        .collect();
    assert!(
        failed.is_empty(),
        "{driver} {parser}: failed scenarios:\n{}",
        failed.join("\n")
    );
}

#[test]
fn socket_io_client_against_tokio_driver() {
    all_scenarios_pass("tokio", "json");
}

#[test]
fn socket_io_client_against_smol_driver() {
    all_scenarios_pass("smol", "json");
}

#[test]
fn socket_io_client_with_msgpack_parser_against_tokio_driver() {
    all_scenarios_pass("tokio", "msgpack");
}

#[test]
fn socket_io_client_with_msgpack_parser_against_smol_driver() {
    all_scenarios_pass("smol", "msgpack");
}
