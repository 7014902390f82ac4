//! The official `engine.io-client` (npm, under Node) against our Engine.IO server, over real
//! loopback sockets: polling, WebSocket, the upgrade with messages in flight, binary, heartbeats,
//! and closes from either side. Scenarios live in `tests/js/eio-scenarios.mjs`; the server is the
//! echo of `src/bin/eio-echo.rs`.

use sio_tests::peers::{run_scenario, ServerProcess};

const PING_INTERVAL: &str = "300";
const PING_TIMEOUT: &str = "200";

const SCENARIOS: [&str; 9] = [
    "polling-only",
    "websocket-only",
    "upgrade-in-flight",
    "binary",
    "heartbeat-idle",
    "silent-client",
    "server-close",
    "client-close",
    "burst",
];

fn all_scenarios_pass(driver: &str) {
    let server = ServerProcess::start(
        env!("CARGO_BIN_EXE_eio-echo"),
        &[
            "--driver",
            driver,
            "--ping-interval",
            PING_INTERVAL,
            "--ping-timeout",
            PING_TIMEOUT,
        ],
    );
    let mut failed = Vec::new();
    for name in SCENARIOS {
        let r = run_scenario(
            "eio-scenarios.mjs",
            &server.url(),
            name,
            &[
                "--ping-interval",
                PING_INTERVAL,
                "--ping-timeout",
                PING_TIMEOUT,
            ],
        );
        println!("{driver} {name}: {}", if r.ok { "ok" } else { "FAILED" });
        if !r.ok {
            failed.push(format!("{name}: {}", r.line));
        }
    }
    assert!(
        failed.is_empty(),
        "{driver}: failed scenarios:\n{}",
        failed.join("\n")
    );
}

#[test]
fn engine_io_client_against_tokio_driver() {
    all_scenarios_pass("tokio");
}

#[test]
fn engine_io_client_against_smol_driver() {
    all_scenarios_pass("smol");
}
