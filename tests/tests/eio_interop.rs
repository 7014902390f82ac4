//! The official `engine.io-client` (npm, under Node) against our Engine.IO server, over real
//! loopback sockets: polling, WebSocket, the upgrade with messages in flight, binary, heartbeats,
//! and closes from either side. Scenarios live in `tests/js/eio-scenarios.mjs`; the server is the
//! echo of `src/bin/eio-echo.rs` (on each async driver) or of `src/bin/eio-echo-blocking.rs`
//! (the bare state machine in a runtime-free event loop).

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
    scenarios_pass_against(
        driver,
        env!("CARGO_BIN_EXE_eio-echo"),
        &["--driver", driver],
    );
}

/// Runs every scenario against the echo server `exe` started with `args` (and the ping flags);
/// `label` names it in the output.
fn scenarios_pass_against(label: &str, exe: &str, args: &[&str]) {
    let ping = [
        "--ping-interval",
        PING_INTERVAL,
        "--ping-timeout",
        PING_TIMEOUT,
    ];
    let server = ServerProcess::start(exe, &[args, &ping].concat());
    let mut failed = Vec::new();
    for name in SCENARIOS {
        let r = run_scenario("eio-scenarios.mjs", &server.url(), name, &ping);
        println!("{label} {name}: {}", if r.ok { "ok" } else { "FAILED" });
        if !r.ok {
            failed.push(format!("{name}: {}", r.line));
        }
    }
    assert!(
        failed.is_empty(),
        "{label}: failed scenarios:\n{}",
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

#[test]
fn engine_io_client_against_a_runtime_free_loop() {
    scenarios_pass_against("mio", env!("CARGO_BIN_EXE_eio-echo-blocking"), &[]);
}
