//! sio's client over TLS (`https` polling and `wss`), on tokio and smol, against npm
//! `socket.io` 4.8 served by Node's `https` with a certificate made for the test by `openssl`:
//! the whole basics scenario passes when the client trusts that certificate, and connecting
//! fails with a certificate error when it does not.

use std::process::Command;
use std::sync::{Arc, OnceLock};

use sio_core::api::client::ClientBuilder;
use sio_core::engine::server::TransportKind::{Polling, WebSocket};
use sio_tests::client_scenarios::{self as sc, Ctx, Log};
use sio_tests::peers::{js_dir, ServerProcess};

static TRUSTED: OnceLock<Vec<u8>> = OnceLock::new();

fn tokio_trusting(url: &str) -> ClientBuilder {
    let pem = TRUSTED.get().expect("certificate");
    let tls = sio_tokio::client::tls_config_with_roots(pem).expect("roots");
    sio_tokio::client::client_with_tls(url, tls)
}

fn smol_trusting(url: &str) -> ClientBuilder {
    let pem = TRUSTED.get().expect("certificate");
    let tls = sio_smol::client::tls_config_with_roots(pem).expect("roots");
    sio_smol::client::client_with_tls(url, tls)
}

fn openssl(args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl (tests/run.sh installs it)");
    assert!(status.success(), "openssl {args:?} failed");
}

/// A CA and a certificate it signs for `localhost` and 127.0.0.1, and the Node server using
/// it; the client is to trust the CA.
fn tls_server(dir: &std::path::Path) -> ServerProcess {
    let p = |f: &str| dir.join(f).to_str().expect("path").to_owned();
    let (ca_key, ca, key, csr, cert, ext) = (
        p("ca.key"),
        p("ca.pem"),
        p("key.pem"),
        p("req.csr"),
        p("cert.pem"),
        p("ext.cnf"),
    );
    openssl(
        &[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ]
        .into_iter()
        .chain(["-subj", "/CN=sio test CA", "-keyout", &ca_key, "-out", &ca])
        .collect::<Vec<_>>(),
    );
    openssl(
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
        ]
        .into_iter()
        .chain(["-keyout", &key, "-out", &csr])
        .collect::<Vec<_>>(),
    );
    std::fs::write(
        &ext,
        "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .expect("ext");
    openssl(
        &["x509", "-req", "-in", &csr, "-CA", &ca, "-CAkey", &ca_key]
            .into_iter()
            .chain([
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                &ext,
                "-out",
                &cert,
            ])
            .collect::<Vec<_>>(),
    );
    let _ = TRUSTED.set(std::fs::read(&ca).expect("ca"));
    let (key, cert) = (dir.join("key.pem"), dir.join("cert.pem"));
    let script = js_dir().join("sio-reference-server.mjs");
    ServerProcess::start(
        "node",
        &[
            script.to_str().expect("path"),
            "--port",
            "0",
            "--ping-interval",
            "300",
            "--ping-timeout",
            "200",
            "--tls-key",
            key.to_str().expect("path"),
            "--tls-cert",
            cert.to_str().expect("path"),
        ],
    )
}

#[test]
fn https_and_wss_on_both_drivers() {
    let dir = std::env::temp_dir().join(format!("sio-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let server = tls_server(&dir);
    let url = format!("https://localhost:{}", server.port);
    for transports in [&[Polling][..], &[WebSocket], &[Polling, WebSocket]] {
        let ctx = Ctx {
            url: url.clone(),
            transports,
            mk: tokio_trusting,
        };
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(sc::basics(ctx));
        let ctx = Ctx {
            url: url.clone(),
            transports,
            mk: smol_trusting,
        };
        smol::block_on(sc::basics(ctx));
    }

    // The default roots do not know the test's certificate: the connection is refused.
    smol::block_on(async {
        let client = sio_smol::client::client(&url)
            .reconnection(false)
            .build()
            .expect("client");
        let socket = client.socket("/");
        let mut log = Log::default();
        log.watch(&socket);
        socket.connect();
        let err = log.next("connect_error").await;
        let message = err[0].as_str().unwrap_or_default().to_owned();
        assert!(
            message.contains("certificate") || message.contains("Certificate"),
            "{message}"
        );
        client.close();
    });
    drop(Arc::new(server));
    let _ = std::fs::remove_dir_all(&dir);
}
