//! sio's Socket.IO client (tokio and smol) against a python-socketio 5 server (aiohttp, from
//! pip: `tests/py/requirements.txt`, installed by `tests/run.sh`) on polling, WebSocket and
//! the upgrade: connect with auth, echo with acks, JSON and binary, the server's `call`.

use sio_core::engine::server::TransportKind::{Polling, WebSocket};
use sio_tests::client_scenarios::{self as sc, Ctx};
use sio_tests::peers::ServerProcess;
use sio_tests::workspace_root;

fn python_server() -> ServerProcess {
    let root = workspace_root();
    let python = root.join("tests/py/.venv/bin/python");
    assert!(
        python.exists(),
        "python-socketio missing: run `bash tests/run.sh` (it makes tests/py/.venv)"
    );
    let script = root.join("tests/py/sio_server.py");
    ServerProcess::start(
        python.to_str().expect("path"),
        &[script.to_str().expect("path")],
    )
}

#[test]
fn tokio_client_with_python_socketio() {
    let server = python_server();
    for transports in [&[Polling][..], &[WebSocket], &[Polling, WebSocket]] {
        let ctx = Ctx {
            url: server.url(),
            transports,
            mk: sio_tokio::client::client,
        };
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(sc::python(ctx));
    }
}

#[test]
fn smol_client_with_python_socketio() {
    let server = python_server();
    for transports in [&[Polling][..], &[WebSocket], &[Polling, WebSocket]] {
        let ctx = Ctx {
            url: server.url(),
            transports,
            mk: sio_smol::client::client,
        };
        smol::block_on(sc::python(ctx));
    }
}
