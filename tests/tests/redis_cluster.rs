//! One Socket.IO cluster through a real `redis-server`: sio on tokio, sio on smol, and Node
//! `socket.io` 4.8 with `@socket.io/redis-adapter` 8.3, each with `socket.io-client` clients.
//! Broadcasts (binary included, in two namespaces, everyone-but-the-sender, `local`), room emits, `fetchSockets`, `socketsJoin`/`socketsLeave`,
//! `disconnectSockets`, `serverSideEmit` (with and without acks) and broadcast acks are started
//! from every node and checked on every node; `@socket.io/redis-emitter` reaches all three.
//! Then Redis is restarted and the cluster must recover by itself.
//! Scenarios: `tests/js/cluster-scenarios.mjs`; nodes: `src/bin/sio-cluster-node.rs` and
//! `tests/js/cluster-node.mjs` (the same contract).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sio_tests::peers::{js_dir, ServerProcess};
use sio_tests::redis::RedisServer;

/// Runs one phase of the scenarios; returns the script's output (it must pass).
fn run_phase(nodes: &str, redis: &str, phase: &str) -> String {
    let mut child = Command::new("node")
        .arg(js_dir().join("cluster-scenarios.mjs"))
        .args(["--nodes", nodes, "--redis", redis, "--phase", phase])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node must be installed");
    let deadline = Instant::now() + Duration::from_secs(150);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("cluster scenarios ({phase}) hung");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{stdout}");
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        out.status.success() && last.contains("\"ok\":true"),
        "cluster scenarios ({phase}) failed:\n{stdout}"
    );
    stdout
}

#[test]
fn sio_tokio_sio_smol_and_node_form_one_cluster_through_redis() {
    let mut redis = RedisServer::start();
    let url = redis.url();
    let exe = env!("CARGO_BIN_EXE_sio-cluster-node");
    let tokio = ServerProcess::start(exe, &["--driver", "tokio", "--name", "A", "--redis", &url]);
    let smol = ServerProcess::start(exe, &["--driver", "smol", "--name", "B", "--redis", &url]);
    let script = js_dir().join("cluster-node.mjs");
    let script = script.to_str().expect("utf-8 path");
    let node = ServerProcess::start("node", &[script, "--name", "C", "--redis", &url]);
    let nodes = format!("A={},B={},C={}", tokio.url(), smol.url(), node.url());

    let main = run_phase(&nodes, &url, "main");
    assert!(main.contains("\"passed\":38"), "every check ran:\n{main}");

    // Everything connected to Redis drops; the adapters must reconnect and subscribe again.
    redis.restart(Duration::from_millis(1500));
    let after = run_phase(&nodes, &url, "after-restart");
    assert!(after.contains("\"passed\":41"), "every check ran:\n{after}");
}
