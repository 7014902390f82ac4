//! An Engine.IO echo server for the interop tests, on the driver named by `--driver`.
//!
//! Behaviour (what `tests/js/eio-scenarios.mjs` expects): every message goes back unchanged;
//! `close-me` closes the session from the server; `send-burst:<n>` sends `burst-0` …
//! `burst-<n-1>`. Prints `listening <port>` once ready.
//!
//! `eio-echo [--driver tokio|smol] [--port 0] [--ping-interval MS] [--ping-timeout MS]`

use std::time::Duration;

use sio_tests::echo::answer;

/// Command-line options.
pub struct Args {
    driver: String,
    port: u16,
    ping_interval: u64,
    ping_timeout: u64,
}

fn args() -> Args {
    let mut a = Args {
        driver: "tokio".into(),
        port: 0,
        ping_interval: 25_000,
        ping_timeout: 20_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--driver" => a.driver = value,
            "--port" => a.port = value.parse().expect("port"),
            "--ping-interval" => a.ping_interval = value.parse().expect("ms"),
            "--ping-timeout" => a.ping_timeout = value.parse().expect("ms"),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

fn config(a: &Args) -> sio_core::engine::server::ServerConfig {
    sio_core::engine::server::ServerConfig {
        ping_interval: Duration::from_millis(a.ping_interval),
        ping_timeout: Duration::from_millis(a.ping_timeout),
        ..Default::default()
    }
}

fn main() {
    let a = args();
    match a.driver.as_str() {
        "tokio" => tokio_main(&a),
        "smol" => smol_main(&a),
        other => panic!("unknown driver {other}"),
    }
}

fn tokio_main(a: &Args) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let server = sio_tokio::EngineServer::new(config(a));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", a.port))
            .await
            .expect("bind");
        println!("listening {}", listener.local_addr().expect("addr").port());
        tokio::spawn(server.clone().serve(listener));
        while let Some(session) = server.accept().await {
            tokio::spawn(async move {
                while let Some(packet) = session.recv().await {
                    let (replies, close) = answer(packet);
                    for r in replies {
                        let _ = session.send(r);
                    }
                    if close {
                        session.close();
                    }
                }
            });
        }
    });
}

fn smol_main(a: &Args) {
    // Tasks run on smol's global executor (its own threads); `main` only accepts sessions.
    smol::block_on(async {
        let server = sio_smol::EngineServer::new(config(a));
        let listener = smol::net::TcpListener::bind(("127.0.0.1", a.port))
            .await
            .expect("bind");
        println!("listening {}", listener.local_addr().expect("addr").port());
        smol::spawn(server.clone().serve(listener)).detach();
        while let Some(session) = server.accept().await {
            smol::spawn(async move {
                while let Some(packet) = session.recv().await {
                    let (replies, close) = answer(packet);
                    for r in replies {
                        let _ = session.send(r);
                    }
                    if close {
                        session.close();
                    }
                }
            })
            .detach();
        }
    });
}
