//! One Socket.IO cluster on one Redis stream: sio on tokio, sio on smol, and Node `socket.io`
//! 4.8 with `@socket.io/redis-streams-adapter` 0.2, connection state recovery on everywhere,
//! each with `socket.io-client` clients. Every operation is started from every node and
//! checked on every node; a client cut by a load balancer recovers its session and the room
//! events it missed on another node (every pair of node kinds, both ways); then Redis is
//! restarted (its append-only file keeps the stream) and every adapter must resume reading
//! after its last offset. Scripts: `tests/js/cluster-scenarios.mjs`,
//! `cluster-streams-scenarios.mjs`; nodes: `src/bin/sio-cluster-node.rs`,
//! `tests/js/cluster-node.mjs`.

use std::time::Duration;

use sio_tests::cluster_script::run_script;
use sio_tests::peers::{js_dir, ServerProcess};
use sio_tests::redis::PersistentRedis;

#[test]
fn sio_tokio_sio_smol_and_node_share_a_redis_stream_recover_clients_across_servers_and_resume_after_a_restart(
) {
    let mut redis = PersistentRedis::start();
    let url = redis.url();
    let exe = env!("CARGO_BIN_EXE_sio-cluster-node");
    let common = ["--redis", url.as_str(), "--adapter", "streams"];
    let with = |extra: &[&'static str]| -> Vec<String> {
        extra
            .iter()
            .chain(common.iter())
            .map(|s| (*s).to_owned())
            .collect()
    };
    let a = with(&["--driver", "tokio", "--name", "A"]);
    let tokio = ServerProcess::start(exe, &refs(&a));
    let b = with(&["--driver", "smol", "--name", "B"]);
    let smol = ServerProcess::start(exe, &refs(&b));
    let script = js_dir().join("cluster-node.mjs");
    let mut c = vec![script.to_str().expect("utf-8 path").to_owned()];
    c.extend(with(&["--name", "C"]));
    let node = ServerProcess::start("node", &refs(&c));
    let nodes = format!("A={},B={},C={}", tokio.url(), smol.url(), node.url());
    let within = Duration::from_secs(150);

    let args = ["--nodes", &nodes, "--phase", "main", "--adapter", "streams"];
    let main = run_script("cluster-scenarios.mjs", &args, within, |_| None);
    assert!(main.contains("\"passed\":33"), "every check ran:\n{main}");

    let args = ["--nodes", &nodes, "--redis", &url, "--phase", "recovery"];
    let recovery = run_script("cluster-streams-scenarios.mjs", &args, within, |_| None);
    assert!(
        recovery.contains("\"passed\":6"),
        "every check ran:\n{recovery}"
    );

    let args = ["--nodes", &nodes, "--redis", &url, "--phase", "restart"];
    let mut down = false;
    let restart = run_script(
        "cluster-streams-scenarios.mjs",
        &args,
        within,
        |line| match line {
            "ready" => {
                redis.stop();
                down = true;
                Some("down".to_owned())
            }
            "checked" if down => {
                redis.start_again();
                Some("up".to_owned())
            }
            _ => None,
        },
    );
    assert!(
        restart.contains("\"passed\":21"),
        "every check ran:\n{restart}"
    );
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}
