//! Real `redis-server`s (Debian's redis-server and redis-tools; `tests/run.sh` installs them)
//! on free loopback ports, for the cluster tests: a plain one, one that keeps its data
//! across restarts, and a Redis Cluster of three masters and three replicas.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` child process without persistence, killed on drop.
pub struct RedisServer {
    child: Child,
    /// The loopback port it listens on.
    pub port: u16,
}

impl RedisServer {
    /// Starts one on a free port and waits until it answers `PING`; on another free port
    /// when the first was taken between choosing and binding it.
    pub fn start() -> RedisServer {
        let (child, port) = start_on_a_free_port(spawn);
        RedisServer { child, port }
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills it (every connection drops, every subscription is forgotten), waits `down`, and
    /// starts a new one on the same port.
    pub fn restart(&mut self, down: Duration) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(down);
        let mut child = spawn(self.port);
        assert!(
            wait_ready(&mut child, self.port),
            "redis-server did not start again on port {}",
            self.port
        );
        self.child = child;
    }
}

fn spawn(port: u16) -> Child {
    Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start redis-server ({e}): install Debian's redis-server (tests/run.sh does)")
        })
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `redis-server` that keeps its data across restarts (append-only file, `fsync` on every
/// write) in a temporary directory of its own, removed on drop: for the streams adapter,
/// whose stream must survive a restart.
pub struct PersistentRedis {
    child: Child,
    /// The loopback port it listens on.
    pub port: u16,
    dir: PathBuf,
}

impl PersistentRedis {
    /// Starts one on a free port and waits until it accepts connections.
    pub fn start() -> PersistentRedis {
        let dir = temp_dir(&format!("aof-{}", free_port()));
        let (child, port) = start_on_a_free_port(|port| spawn_persistent(port, &dir));
        PersistentRedis { child, port, dir }
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills it (what was written is on disk): every connection drops.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again on the same port with the same data (after [`stop`](Self::stop)).
    pub fn start_again(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut child = spawn_persistent(self.port, &self.dir);
        assert!(
            wait_ready(&mut child, self.port),
            "redis-server did not start again on port {}",
            self.port
        );
        self.child = child;
    }
}

impl Drop for PersistentRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn spawn_persistent(port: u16, dir: &Path) -> Child {
    Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args([
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
        ])
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start redis-server ({e})"))
}

/// A Redis Cluster of three masters and three replicas (`--cluster-enabled yes`, made with
/// `redis-cli --cluster create`; Debian's redis-server and redis-tools), on free loopback
/// ports, each node in a temporary directory of its own; everything is killed and removed
/// on drop. Nodes notice a dead master after `cluster-node-timeout` (1 s here), then its
/// replica takes over.
pub struct RedisCluster {
    nodes: Vec<ClusterNode>,
    dir: PathBuf,
}

struct ClusterNode {
    port: u16,
    child: Option<Child>,
}

impl RedisCluster {
    /// Starts the six nodes, makes the cluster, and waits until every node says it is ok.
    pub fn start() -> RedisCluster {
        let base = free_port();
        let dir = temp_dir(&format!("cluster-{base}"));
        let mut nodes = Vec::new();
        for i in 0..6 {
            let port = if i == 0 { base } else { free_port() };
            let bus = free_port();
            let node_dir = dir.join(port.to_string());
            std::fs::create_dir_all(&node_dir).expect("node dir");
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args([
                    "--cluster-enabled",
                    "yes",
                    "--cluster-port",
                    &bus.to_string(),
                ])
                .args([
                    "--cluster-node-timeout",
                    "1000",
                    "--cluster-config-file",
                    "nodes.conf",
                ])
                .args(["--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(&node_dir)
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start redis-server ({e})"));
            nodes.push(ClusterNode {
                port,
                child: Some(child),
            });
        }
        let mut cluster = RedisCluster { nodes, dir };
        for n in &mut cluster.nodes {
            let child = n.child.as_mut().expect("just started");
            assert!(
                wait_ready(child, n.port),
                "cluster node on port {} did not start",
                n.port
            );
        }
        let addrs: Vec<String> = cluster
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let out = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addrs)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .output()
            .unwrap_or_else(|e| panic!("cannot run redis-cli ({e}): install Debian's redis-tools"));
        assert!(
            out.status.success(),
            "redis-cli --cluster create failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        cluster.wait_ok(Duration::from_secs(20));
        cluster
    }

    /// `redis://127.0.0.1:<port>/` of every node, comma-separated.
    pub fn urls(&self) -> String {
        let urls: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("redis://127.0.0.1:{}/", n.port))
            .collect();
        urls.join(",")
    }

    /// The port of the master that owns `key`'s slot (a sharded channel's name).
    pub fn master_of(&self, key: &str) -> u16 {
        self.try_master_of(key)
            .unwrap_or_else(|| panic!("no live master owns {key}'s slot"))
    }

    fn try_master_of(&self, key: &str) -> Option<u16> {
        let any = self.live_port();
        let slot: u16 = cli(any, &["cluster", "keyslot", key])
            .trim()
            .parse()
            .expect("a slot");
        for line in cli(any, &["cluster", "nodes"]).lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 9 || !f[2].contains("master") || f[2].contains("fail") {
                continue;
            }
            let owns = f[8..].iter().any(|range| {
                let (a, b) = range.split_once('-').unwrap_or((range, range));
                match (a.parse::<u16>(), b.parse::<u16>()) {
                    (Ok(a), Ok(b)) => (a..=b).contains(&slot),
                    _ => false,
                }
            });
            if owns {
                let port = f[1].split('@').next().and_then(|a| a.rsplit(':').next());
                return port.and_then(|p| p.parse().ok());
            }
        }
        None
    }

    /// Kills the node on `port` (a master crash), then waits until another node owns its
    /// slots and the cluster is ok again.
    pub fn kill_and_fail_over(&mut self, port: u16, key: &str) -> u16 {
        let node = self
            .nodes
            .iter_mut()
            .find(|n| n.port == port)
            .expect("a node of the cluster");
        if let Some(mut c) = node.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            assert!(Instant::now() < deadline, "no failover within 30 s");
            std::thread::sleep(Duration::from_millis(100));
            let state = cli(self.live_port(), &["cluster", "info"]);
            if !state.contains("cluster_state:ok") {
                continue;
            }
            match self.try_master_of(key) {
                Some(master) if master != port => {
                    self.wait_ok(Duration::from_secs(20));
                    return master;
                }
                _ => {}
            }
        }
    }

    /// A graceful failover (`CLUSTER FAILOVER` on the replica of the master owning `key`'s
    /// slot): the replica takes over, the old master becomes its replica and tells its
    /// clients that their sharded subscriptions moved. Returns the new master's port.
    pub fn fail_over(&mut self, key: &str) -> u16 {
        let master = self.master_of(key);
        let nodes = cli(master, &["cluster", "nodes"]);
        let id = nodes
            .lines()
            .find(|l| l.contains("myself"))
            .and_then(|l| l.split_whitespace().next())
            .expect("the master's id")
            .to_owned();
        let replica = nodes
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|f| f.len() > 3 && f[2].contains("slave") && f[3] == id)
            .and_then(|f| {
                f[1].split('@')
                    .next()?
                    .rsplit(':')
                    .next()?
                    .parse::<u16>()
                    .ok()
            })
            .expect("a replica of the master");
        let answer = cli(replica, &["cluster", "failover"]);
        assert!(answer.contains("OK"), "CLUSTER FAILOVER: {answer}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.try_master_of(key) != Some(replica) {
            assert!(Instant::now() < deadline, "no failover within 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        self.wait_ok(Duration::from_secs(20));
        replica
    }

    fn live_port(&self) -> u16 {
        self.nodes
            .iter()
            .find(|n| n.child.is_some())
            .expect("a live node")
            .port
    }

    fn wait_ok(&self, within: Duration) {
        let deadline = Instant::now() + within;
        for n in self.nodes.iter().filter(|n| n.child.is_some()) {
            while !cli(n.port, &["cluster", "info"]).contains("cluster_state:ok") {
                assert!(Instant::now() < deadline, "the Redis cluster is not ok");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            if let Some(mut c) = n.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `redis-cli -p <port> <args>`'s output.
fn cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run redis-cli ({e}): install Debian's redis-tools"));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sio-redis-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// Starts a server with `spawn` on a free port and waits until it is ready; a port is free
/// when chosen but may be taken before the server binds it (the server then exits), so this
/// tries up to five ports.
fn start_on_a_free_port(mut spawn: impl FnMut(u16) -> Child) -> (Child, u16) {
    for _ in 0..5 {
        let port = free_port();
        let mut child = spawn(port);
        if wait_ready(&mut child, port) {
            return (child, port);
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("redis-server did not start on any of five free ports");
}

/// Waits (up to 10 s) until the server `child` started on `port` answers `PING` with
/// `+PONG`; false when it exits first. A bare TCP connect is not proof: while nothing
/// listens, a connect to a port in the ephemeral range can meet itself, and another
/// process may hold the port.
fn wait_ready(child: &mut Child, port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if !matches!(child.try_wait(), Ok(None)) {
            return false;
        }
        if pong(port) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn pong(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let mut reply = [0u8; 7];
    s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}
