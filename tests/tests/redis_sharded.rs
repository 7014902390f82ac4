//! One Socket.IO cluster on a real Redis Cluster (three masters, three replicas) through the
//! sharded adapter: sio on tokio, sio on smol, and Node `socket.io` 4.8 with
//! `createShardedAdapter` of `@socket.io/redis-adapter` 8.3 (dynamic subscription mode), each
//! with `socket.io-client` clients. Every operation (broadcasts with binary, in two
//! namespaces, but-the-sender, `local`; room emits; `fetchSockets`; `socketsJoin`/`Leave`;
//! `disconnectSockets`; `serverSideEmit` with and without acks; broadcast acks) is started
//! from every node and checked on every node. Then the master owning the namespace's channel
//! is killed: its replica takes over, every adapter must follow, and what was lost meanwhile
//! is reported. Scripts: `tests/js/cluster-scenarios.mjs`, `cluster-sharded-failover.mjs`;
//! nodes: `src/bin/sio-cluster-node.rs`, `tests/js/cluster-node.mjs`.

use std::time::Duration;

use sio_tests::cluster_script::run_script;
use sio_tests::peers::{js_dir, ServerProcess};
use sio_tests::redis::RedisCluster;

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn sio_tokio_sio_smol_and_node_share_a_redis_cluster_through_sharded_pub_sub_and_survive_a_failover(
) {
    let mut redis = RedisCluster::start();
    let urls = redis.urls();
    let exe = env!("CARGO_BIN_EXE_sio-cluster-node");
    let node_args = |driver: &str, name: &str| -> Vec<String> {
        let mut a = vec!["--name", name, "--redis", &urls, "--adapter", "sharded"];
        if !driver.is_empty() {
            a.extend(["--driver", driver]);
        }
        a.into_iter().map(str::to_owned).collect()
    };
    let tokio = ServerProcess::start(exe, &strs(&node_args("tokio", "A")));
    let smol = ServerProcess::start(exe, &strs(&node_args("smol", "B")));
    let script = js_dir().join("cluster-node.mjs");
    let mut node = vec![script.to_str().expect("utf-8 path").to_owned()];
    node.extend(node_args("", "C"));
    let node = ServerProcess::start("node", &strs(&node));
    let nodes = format!("A={},B={},C={}", tokio.url(), smol.url(), node.url());

    let args = ["--nodes", &nodes, "--phase", "main", "--adapter", "sharded"];
    let main = run_script(
        "cluster-scenarios.mjs",
        &args,
        Duration::from_secs(150),
        |_| None,
    );
    assert!(main.contains("\"passed\":33"), "every check ran:\n{main}");

    // The master owning the namespace's channel changes, twice: gracefully (`CLUSTER
    // FAILOVER` on its replica: the old master tells its subscribers that their channels
    // moved), then by a crash (its replica takes over after the cluster's node timeout). The
    // sio nodes follow both: they subscribe again on the new master. Node's `redis` 4.7
    // cluster client does not follow either (after a crash it reconnects to the dead node for
    // ever, as it rediscovers the slots only on MOVED/ASK answers; after a graceful failover
    // its own subscription to the namespace's channel is not moved), so the Node server is
    // left out of these phases: see the README's failure table.
    let channel = "socket.io#/#";
    let sio_nodes = format!("A={},B={}", tokio.url(), smol.url());
    let args = ["--nodes", &sio_nodes, "--phase", "graceful"];
    let graceful = run_script(
        "cluster-sharded-failover.mjs",
        &args,
        Duration::from_secs(150),
        |line| {
            (line == "ready").then(|| {
                let new = redis.fail_over(channel);
                println!("CLUSTER FAILOVER: {channel} is on {new} now");
                "done".to_owned()
            })
        },
    );
    assert!(
        graceful.contains("\"passed\":14"),
        "every check ran:\n{graceful}"
    );

    let master = redis.master_of(channel);
    let args = ["--nodes", &sio_nodes, "--phase", "crash"];
    let crash = run_script(
        "cluster-sharded-failover.mjs",
        &args,
        Duration::from_secs(150),
        |line| {
            (line == "ready").then(|| {
                let new = redis.kill_and_fail_over(master, channel);
                println!("killed master {master}; {channel} is on {new} now");
                "done".to_owned()
            })
        },
    );
    assert!(crash.contains("\"passed\":14"), "every check ran:\n{crash}");
}
