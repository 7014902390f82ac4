//! The Socket.IO Admin UI as an operator uses it, in headless Chromium (Debian's `chromium`,
//! driven by playwright-core, `tests/js/admin-ui.mjs`): the official dashboard (the static
//! build in `@socket.io/admin-ui` 0.5.1's `ui/dist`) logs in (admin / changeit, bcrypt),
//! lists two `socket.io-client` clients and their rooms, and disconnects one from its Sockets
//! page; that client must report "io server disconnect" and the other stay connected. Before
//! that, a second admin client's `join`, `emit` and `leave` must show on the dashboard and
//! reach the client. A wrong
//! password is refused first; on sio, a reload logs in again with the session id the UI was
//! given (the Node reference sends that id before its CONNECT reply, where the UI misses it).
//!
//! Against sio on tokio and on smol (`src/bin/sio-admin-node.rs`, the UI from another origin
//! as the hosted one), against npm `socket.io` 4.8.4 with the package's own `instrument()`
//! (`tests/js/admin-reference-server.mjs`: the test's expectations are the reference's), in
//! the demo (the UI mounted on the same axum app at `/admin-ui/`), and on a cluster of two sio
//! servers through Redis, where the dashboard connected to one lists both servers and the
//! sockets of both.

use std::sync::Mutex;

use sio_tests::peers::{js_dir, run_scenario, ServerProcess};
use sio_tests::redis::RedisServer;

/// One browser at a time: the machine has two cores.
static BROWSER: Mutex<()> = Mutex::new(());

fn admin_ui(url: &str, extra: &[&str]) {
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists(),
        "chromium is missing: run tests/install-browser.sh (tests/run.sh does)"
    );
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let r = run_scenario("admin-ui.mjs", url, "admin-ui", extra);
    println!("{}", r.line);
    assert!(r.ok, "admin UI scenario failed: {}", r.line);
}

fn sio_node(driver: &str, id: &str, redis: Option<&str>) -> ServerProcess {
    let mut args = vec!["--driver", driver, "--server-id", id];
    if let Some(url) = redis {
        args.extend(["--redis", url]);
    }
    ServerProcess::start(env!("CARGO_BIN_EXE_sio-admin-node"), &args)
}

#[test]
fn the_admin_ui_lists_and_disconnects_sockets_of_sio_on_tokio() {
    let server = sio_node("tokio", "sio-tokio", None);
    admin_ui(&server.url(), &["--servers", "sio-tokio", "--session"]);
}

#[test]
fn the_admin_ui_lists_and_disconnects_sockets_of_sio_on_smol() {
    let server = sio_node("smol", "sio-smol", None);
    admin_ui(&server.url(), &["--servers", "sio-smol", "--session"]);
}

#[test]
fn the_admin_ui_scenario_passes_against_the_node_reference() {
    let script = js_dir().join("admin-reference-server.mjs");
    let script = script.to_str().expect("utf-8 path");
    let server = ServerProcess::start("node", &[script, "--server-id", "node"]);
    admin_ui(&server.url(), &["--servers", "node"]);
}

#[test]
fn the_demo_serves_the_admin_ui_beside_the_chat() {
    let demo = ServerProcess::start(env!("CARGO_BIN_EXE_demo"), &["--port", "0"]);
    let ui = format!("{}/admin-ui/", demo.url());
    admin_ui(&demo.url(), &["--ui", &ui, "--demo", "--session"]);
}

#[test]
fn the_admin_ui_aggregates_a_cluster_of_two_sio_servers() {
    let redis = RedisServer::start();
    let url = redis.url();
    let a = sio_node("tokio", "sio-a", Some(&url));
    let b = sio_node("smol", "sio-b", Some(&url));
    // The dashboard logs in to A; the "blue" client is on B.
    admin_ui(&a.url(), &["--url2", &b.url(), "--servers", "sio-a,sio-b"]);
}
