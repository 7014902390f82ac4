//! sio's Socket.IO client over WebTransport (HTTP/3, QUIC on loopback) against sio's server on
//! tokio (`src/bin/sio-echo.rs --webtransport`, the contract of the interop tests), first over
//! WebTransport and by upgrade from polling: the scenarios of `src/client_scenarios.rs`
//! (connect, echo, binary, acks both ways, namespaces, rooms, retries) and reconnection after
//! a server restart. The certificate is a [`DevCertificate`] made here and handed to the server
//! as PEM files; the client trusts it by its SHA-256 hash, as browsers' `serverCertificateHashes`.
//!
//! npm `socket.io` cannot be the server here: its WebTransport needs
//! `@fails-components/webtransport`, whose native part downloads from github.com at install.
//! WebTransport is served by the tokio driver only (wtransport is tokio-only).

use std::path::PathBuf;
use std::sync::OnceLock;

use sio_core::engine::server::TransportKind::{self, Polling, WebTransport};
use sio_tests::client_scenarios::{self as sc, Ctx};
use sio_tests::peers::ServerProcess;
use sio_tokio::client::ClientBuilder;
use sio_tokio::webtransport::{ClientOptions, DevCertificate, Sha256Digest};

const MODES: [(&str, &[TransportKind]); 2] = [
    ("webtransport", &[WebTransport]),
    ("upgrade", &[Polling, WebTransport]),
];

const PING: [&str; 4] = ["--ping-interval", "300", "--ping-timeout", "200"];

/// The certificate files and hash shared by this test's servers.
fn certificate() -> &'static (PathBuf, PathBuf, Sha256Digest) {
    static CERT: OnceLock<(PathBuf, PathBuf, Sha256Digest)> = OnceLock::new();
    CERT.get_or_init(|| {
        let cert = DevCertificate::generate(&["localhost", "127.0.0.1"]).expect("certificate");
        let dir = std::env::temp_dir().join(format!("sio-wt-client-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&c, cert.certificate_pem()).expect("write cert");
        std::fs::write(&k, cert.private_key_pem()).expect("write key");
        (c, k, cert.hash())
    })
}

fn server_on(port: u16) -> ServerProcess {
    let (cert, key, _) = certificate();
    let port = port.to_string();
    let args = [
        &["--driver", "tokio", "--port", &port][..],
        &PING,
        &[
            "--webtransport",
            cert.to_str().expect("path"),
            key.to_str().expect("path"),
        ],
    ]
    .concat();
    ServerProcess::start(env!("CARGO_BIN_EXE_sio-echo"), &args)
}

/// sio's tokio client trusting the test certificate by its hash.
fn maker(url: &str) -> ClientBuilder {
    let options = ClientOptions {
        server_certificate_hashes: vec![certificate().2.clone()],
    };
    sio_tokio::webtransport::client(url, options)
}

fn run<F: std::future::Future<Output = ()> + Send + 'static>(f: F) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f);
}

#[test]
fn tokio_client_with_sio_on_tokio_over_webtransport() {
    for (mode, transports) in MODES {
        let server = server_on(0);
        let ctx = Ctx {
            url: server.url(),
            transports,
            mk: maker,
        };
        println!("{mode}: basics");
        run(sc::basics(ctx.clone()));
        println!("{mode}: namespaces");
        run(sc::namespaces(ctx.clone()));
        println!("{mode}: rooms");
        run(sc::rooms(ctx.clone()));
        println!("{mode}: retries");
        let key = format!("wt-{mode}");
        run(async move { sc::retries(ctx, &key).await });
    }
}

#[test]
fn tokio_client_reconnects_over_webtransport_after_a_server_restart() {
    for (mode, transports) in MODES {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let server = server_on(port);
        let ctx = Ctx {
            url: server.url(),
            transports,
            mk: maker,
        };
        println!("restart {mode}");
        let second = std::sync::Arc::new(std::sync::Mutex::new(None));
        let slot = second.clone();
        run(sc::restart(ctx, move || {
            drop(server);
            std::thread::sleep(std::time::Duration::from_millis(700));
            *slot.lock().unwrap() = Some(server_on(port));
        }));
        drop(second.lock().unwrap().take());
    }
}

#[test]
fn a_client_without_the_certificate_hash_is_refused() {
    let server = server_on(0);
    let url = server.url();
    run(async move {
        // The system's roots do not know the self-signed certificate.
        let client = sio_tokio::client::client(&url)
            .transports(&[WebTransport])
            .reconnection(false)
            .build()
            .expect("client");
        let socket = client.socket("/");
        let (tx, rx) = tokio::sync::oneshot::channel::<String>();
        let tx = std::sync::Mutex::new(Some(tx));
        client.on_event(move |_c, e| {
            if let sio_tokio::client::ClientEvent::Error(m) = e {
                if let Some(tx) = tx.lock().unwrap().take() {
                    let _ = tx.send(m);
                }
            }
            async {}
        });
        socket.connect();
        let message = tokio::time::timeout(std::time::Duration::from_secs(10), rx)
            .await
            .expect("a connect error in time")
            .expect("message");
        assert!(!message.is_empty());
        client.close();
    });
}
