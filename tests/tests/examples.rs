//! The examples of the published crates do what their docs say, run as a user runs them
//! (`cargo run -p <crate> --example <name>`): each server example serves the official npm
//! clients (`tests/js/examples-check.mjs`), and each client example gets its ack from a server
//! example. The examples are built by `cargo build --workspace --examples` and run from
//! `target/<profile>/examples/`.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Once;

use sio_tests::peers::{run_scenario, ServerProcess};
use sio_tests::redis::RedisServer;
use sio_tests::workspace_root;

/// The path of example `name`, built first (once per test binary).
fn example(name: &str) -> String {
    static BUILD: Once = Once::new();
    BUILD.call_once(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            // `cargo build`: `cargo test --all-targets` builds examples as test harnesses,
            // which do not run `main`.
            .args(["build", "--workspace", "--examples"])
            .current_dir(workspace_root())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "the examples do not build");
    });
    // This test runs from target/<profile>/deps/.
    let exe = std::env::current_exe().expect("test path");
    let dir: PathBuf = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("profile dir")
        .into();
    dir.join("examples").join(name).display().to_string()
}

/// Starts server example `name` (of the crate that has it) on a free port.
fn server(name: &str, args: &[&str]) -> ServerProcess {
    ServerProcess::start_with_env(&example(name), args, &[("PORT", "0")])
}

fn assert_scenario(server: &ServerProcess, scenario: &str, extra: &[&str]) {
    let r = run_scenario("examples-check.mjs", &server.url(), scenario, extra);
    assert!(r.ok, "{scenario}: {}", r.line);
}

/// Runs client example `exe` against `url` and returns what it printed.
fn run_client(exe: &str, url: &str) -> String {
    let out = Command::new(exe).arg(url).output().expect("client runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{exe} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn axum_example_serves_socket_io_beside_its_route() {
    let server = server("axum", &[]);
    assert_scenario(&server, "chat", &[]);
    let mut tcp = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    tcp.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .expect("write");
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("Socket.IO is on /socket.io/"), "{answer}");
}

#[test]
fn standalone_example_serves_socket_io_clients_on_tokio() {
    assert_scenario(&server("standalone", &[]), "chat", &[]);
}

#[test]
fn standalone_example_serves_socket_io_clients_on_smol() {
    assert_scenario(&server("smol_standalone", &[]), "chat", &[]);
}

#[test]
fn client_examples_get_the_servers_ack_on_tokio_and_smol() {
    let tokio_server = server("standalone", &[]);
    let out = run_client(&example("client"), &tokio_server.url());
    assert!(out.contains("connected as "), "{out}");
    assert!(out.contains(r#"ack: ["received"]"#), "{out}");
    let smol_server = server("smol_standalone", &[]);
    let out = run_client(&example("smol_client"), &smol_server.url());
    assert!(out.contains("connected as "), "{out}");
    assert!(out.contains(r#"ack: ["received"]"#), "{out}");
}

#[test]
fn event_loop_example_echoes_engine_io_over_long_polling() {
    let server = ServerProcess::start_with_env(&example("event_loop"), &[], &[("PORT", "0")]);
    let url = server.url();
    assert_scenario(&server, "eio-echo", &[]);
    // It speaks no WebSocket: the handshake offers no upgrade.
    let mut tcp = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    tcp.write_all(b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nhost: x\r\n\r\n")
        .expect("write");
    // The example keeps connections open; the end of the request stream closes this one.
    tcp.shutdown(Shutdown::Write).expect("shutdown");
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).expect("read");
    assert!(answer.contains(r#""upgrades":[]"#), "{url}: {answer}");
}

#[test]
fn cluster_example_shares_broadcasts_between_servers_through_redis() {
    let redis = RedisServer::start();
    let one = server("cluster", &[&redis.url()]);
    let two = server("cluster", &[&redis.url()]);
    assert_scenario(&one, "cluster", &["--url2", &two.url()]);
}
