//! End to end in a real browser: two headless Chromium pages (Debian's `chromium`, driven by
//! playwright-core, `tests/js/browser-chat.mjs`) chat through the demo server
//! (`src/bin/demo.rs`: axum + sio mounted as a tower layer): nicknames, a room, the user list,
//! the typing indicator, and messages both ways. And the Socket.IO v2 client's browser bundle
//! (`tests/js/sio-v2-browser.mjs`) against `sio-echo --allow-eio3` on both drivers and against
//! the reference: in a browser it polls with XHR2 binary payloads, which Node's v2 client never
//! does. And Chromium against sio with permessage-deflate and HTTP compression on
//! (`tests/js/browser-compression.mjs`). And socket.io-client 4.8's browser bundle over
//! WebTransport (`tests/js/sio-webtransport-browser.mjs`) against `sio-echo --webtransport` on
//! tokio, with a [`DevCertificate`] the page trusts through `serverCertificateHashes`.
//! `tests/install-browser.sh` installs chromium.

use sio_tests::peers::{js_dir, run_scenario, ServerProcess};
use sio_tokio::webtransport::DevCertificate;

#[test]
fn two_chromium_pages_chat_through_the_demo() {
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists(),
        "chromium is missing: run tests/install-browser.sh (tests/run.sh does)"
    );
    let demo = ServerProcess::start(env!("CARGO_BIN_EXE_demo"), &["--port", "0"]);
    let r = run_scenario("browser-chat.mjs", &demo.url(), "browser-chat", &[]);
    assert!(r.ok, "browser chat failed: {}", r.line);
}

#[test]
fn socket_io_client_v2_in_chromium_polls_with_binary_payloads() {
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists(),
        "chromium is missing: run tests/install-browser.sh (tests/run.sh does)"
    );
    let reference = js_dir().join("sio-reference-server.mjs");
    let servers = [
        (
            "tokio",
            ServerProcess::start(
                env!("CARGO_BIN_EXE_sio-echo"),
                &["--driver", "tokio", "--allow-eio3"],
            ),
        ),
        (
            "smol",
            ServerProcess::start(
                env!("CARGO_BIN_EXE_sio-echo"),
                &["--driver", "smol", "--allow-eio3"],
            ),
        ),
        (
            "reference",
            ServerProcess::start(
                "node",
                &[
                    reference.to_str().expect("path"),
                    "--port",
                    "0",
                    "--allow-eio3",
                ],
            ),
        ),
    ];
    for (name, server) in &servers {
        let r = run_scenario("sio-v2-browser.mjs", &server.url(), "v2-browser", &[]);
        assert!(r.ok, "{name}: {}", r.line);
    }
}

/// Chromium (which always offers permessage-deflate and sends `Accept-Encoding`) against sio
/// with permessage-deflate on: the extension is agreed, long-poll answers come gzip-encoded,
/// and 200 KB / 100 KB echoes come back equal over WebSocket, the upgrade and polling
/// (`tests/js/browser-compression.mjs`).
fn chromium_compresses_with(driver: &str) {
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists(),
        "chromium is missing: run tests/install-browser.sh (tests/run.sh does)"
    );
    let args = [
        "--driver",
        driver,
        "--per-message-deflate",
        "1024",
        "--cors",
        "1",
    ];
    let server = ServerProcess::start(env!("CARGO_BIN_EXE_sio-echo"), &args);
    let r = run_scenario(
        "browser-compression.mjs",
        &server.url(),
        "browser-compression",
        &[],
    );
    assert!(r.ok, "{driver}: {}", r.line);
}

#[test]
fn chromium_agrees_permessage_deflate_and_gzip_with_sio_on_tokio() {
    chromium_compresses_with("tokio");
}

#[test]
fn chromium_agrees_permessage_deflate_and_gzip_with_sio_on_smol() {
    chromium_compresses_with("smol");
}

#[test]
fn socket_io_client_in_chromium_over_webtransport_first_and_by_upgrade() {
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists(),
        "chromium is missing: run tests/install-browser.sh (tests/run.sh does)"
    );
    let cert = DevCertificate::generate(&["localhost", "127.0.0.1"]).expect("certificate");
    let dir = std::env::temp_dir().join(format!("sio-wt-browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&c, cert.certificate_pem()).expect("write cert");
    std::fs::write(&k, cert.private_key_pem()).expect("write key");
    let (c, k) = (c.to_str().expect("path"), k.to_str().expect("path"));
    let server = ServerProcess::start(
        env!("CARGO_BIN_EXE_sio-echo"),
        &["--driver", "tokio", "--webtransport", c, k],
    );
    let r = run_scenario(
        "sio-webtransport-browser.mjs",
        &server.url(),
        "webtransport-browser",
        &["--cert", c],
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(r.ok, "{}", r.line);
}
