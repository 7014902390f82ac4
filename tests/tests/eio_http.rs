//! The tokio driver over raw HTTP: every error answer of the reference (status, JSON body,
//! content type), the size limit, CORS preflight, and mounting beside an axum application.

use std::time::Duration;

use sio_core::engine::server::{AllowedOrigins, Cors, ServerConfig};
use sio_tests::peers::run_scenario;
use sio_tokio::{EngineLayer, EngineServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Sends one raw HTTP/1.1 request (with `Connection: close`) and reads the whole answer.
async fn http(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut raw))
        .await
        .expect("answer in time")
        .unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Answer {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

async fn start(config: ServerConfig) -> (EngineServer, u16) {
    let server = EngineServer::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(server.clone().serve(listener));
    (server, port)
}

fn assert_error(a: &Answer, status: u16, code: u8, message: &str) {
    assert_eq!(a.status, status, "{}", a.head);
    assert_eq!(
        a.body,
        format!(r#"{{"code":{code},"message":"{message}"}}"#)
    );
    assert_eq!(
        a.header("content-type"),
        Some("application/json"),
        "{}",
        a.head
    );
}

#[tokio::test]
async fn every_error_code_is_answered_as_the_reference() {
    let config = ServerConfig {
        allow_request: Some(Box::new(|req| {
            if req.query.contains("token=ok") {
                Ok(())
            } else {
                Err(None)
            }
        })),
        ..Default::default()
    };
    let (_server, port) = start(config).await;
    let p = "/engine.io/";
    // 0: transport missing or unknown.
    let a = http(port, "GET", &format!("{p}?EIO=4"), &[], b"").await;
    assert_error(&a, 400, 0, "Transport unknown");
    let a = http(
        port,
        "GET",
        &format!("{p}?EIO=4&transport=carrier-pigeon"),
        &[],
        b"",
    )
    .await;
    assert_error(&a, 400, 0, "Transport unknown");
    // 1: unknown sid.
    let a = http(
        port,
        "GET",
        &format!("{p}?EIO=4&transport=polling&sid=nope"),
        &[],
        b"",
    )
    .await;
    assert_error(&a, 400, 1, "Session ID unknown");
    // 2: a handshake that is not a GET.
    let a = http(
        port,
        "POST",
        &format!("{p}?EIO=4&transport=polling&token=ok"),
        &[],
        b"40",
    )
    .await;
    assert_error(&a, 400, 2, "Bad handshake method");
    // 3: transport=websocket without the upgrade.
    let a = http(
        port,
        "GET",
        &format!("{p}?EIO=4&transport=websocket&token=ok"),
        &[],
        b"",
    )
    .await;
    assert_error(&a, 400, 3, "Bad request");
    // 4: the application's allow_request refuses (403).
    let a = http(
        port,
        "GET",
        &format!("{p}?EIO=4&transport=polling"),
        &[],
        b"",
    )
    .await;
    assert_error(&a, 403, 4, "Forbidden");
    // 5: protocol version missing or not 4.
    let a = http(
        port,
        "GET",
        &format!("{p}?transport=polling&token=ok"),
        &[],
        b"",
    )
    .await;
    assert_error(&a, 400, 5, "Unsupported protocol version");
    let a = http(
        port,
        "GET",
        &format!("{p}?EIO=3&transport=polling&token=ok"),
        &[],
        b"",
    )
    .await;
    assert_error(&a, 400, 5, "Unsupported protocol version");
    // And a handshake that passes every check.
    let a = http(
        port,
        "GET",
        &format!("{p}?EIO=4&transport=polling&token=ok"),
        &[],
        b"",
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(a.body.starts_with("0{\"sid\":"), "{}", a.body);
    assert_eq!(a.header("content-type"), Some("text/plain; charset=UTF-8"));
}

fn sid_of(open: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(&open[1..]).unwrap();
    v["sid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn oversized_post_gets_413_and_normal_post_gets_ok() {
    let config = ServerConfig {
        max_payload: 100,
        ..Default::default()
    };
    let (_server, port) = start(config).await;
    let open = http(port, "GET", "/engine.io/?EIO=4&transport=polling", &[], b"").await;
    let sid = sid_of(&open.body);
    let url = format!("/engine.io/?EIO=4&transport=polling&sid={sid}");
    let a = http(
        port,
        "POST",
        &url,
        &[("Content-Type", "text/plain")],
        b"4hello",
    )
    .await;
    assert_eq!((a.status, a.body.as_str()), (200, "ok"));
    let a = http(port, "POST", &url, &[], &[b'4'; 101]).await;
    assert_eq!(a.status, 413, "{}", a.head);
}

#[tokio::test]
async fn overlapping_polls_are_refused_and_close_the_session() {
    let (_server, port) = start(ServerConfig::default()).await;
    let open = http(port, "GET", "/engine.io/?EIO=4&transport=polling", &[], b"").await;
    let sid = sid_of(&open.body);
    let url = format!("/engine.io/?EIO=4&transport=polling&sid={sid}");
    let parked = tokio::spawn({
        let url = url.clone();
        async move { http(port, "GET", &url, &[], b"").await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = http(port, "GET", &url, &[], b"").await;
    assert_eq!(second.status, 400);
    let first = parked.await.unwrap();
    assert_eq!((first.status, first.body.as_str()), (200, "1"));
    let after = http(port, "GET", &url, &[], b"").await;
    assert_error(&after, 400, 1, "Session ID unknown");
}

#[tokio::test]
async fn cors_preflight_gets_204() {
    let config = ServerConfig {
        cors: Some(Cors {
            origins: AllowedOrigins::Reflect,
            credentials: true,
        }),
        ..Default::default()
    };
    let (_server, port) = start(config).await;
    let a = http(
        port,
        "OPTIONS",
        "/engine.io/?EIO=4&transport=polling",
        &[
            ("Origin", "http://app.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        b"",
    )
    .await;
    assert_eq!(a.status, 204, "{}", a.head);
    assert_eq!(
        a.header("access-control-allow-origin"),
        Some("http://app.example")
    );
    assert_eq!(a.header("access-control-allow-credentials"), Some("true"));
}

/// An axum application with its own route, and Engine.IO mounted beside it as a tower layer:
/// both answer on one port, and the official client works through the layer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mounts_beside_an_axum_router() {
    let server = EngineServer::new(ServerConfig::default());
    let app = axum::Router::new()
        .route("/hello", axum::routing::get(|| async { "hello from axum" }))
        .layer(EngineLayer::new(server.clone()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    tokio::spawn({
        let server = server.clone();
        async move {
            while let Some(session) = server.accept().await {
                tokio::spawn(async move {
                    while let Some(p) = session.recv().await {
                        let _ = session.send(p);
                    }
                });
            }
        }
    });
    let a = http(port, "GET", "/hello", &[], b"").await;
    assert_eq!((a.status, a.body.as_str()), (200, "hello from axum"));
    let a = http(port, "GET", "/engine.io/?EIO=4", &[], b"").await;
    assert_error(&a, 400, 0, "Transport unknown");
    let url = format!("http://127.0.0.1:{port}");
    for scenario in ["polling-only", "websocket-only", "upgrade-in-flight"] {
        let r = tokio::task::spawn_blocking({
            let url = url.clone();
            move || run_scenario("eio-scenarios.mjs", &url, scenario, &[])
        })
        .await
        .unwrap();
        assert!(r.ok, "{scenario} through the axum layer: {}", r.line);
    }
}

/// A client that goes away while its long-poll is parked closes the session ("transport
/// close" in the reference), and the application sees it closed.
#[tokio::test]
async fn aborted_poll_closes_the_session() {
    let (server, port) = start(ServerConfig::default()).await;
    let open = http(port, "GET", "/engine.io/?EIO=4&transport=polling", &[], b"").await;
    let sid = sid_of(&open.body);
    let session = server.accept().await.unwrap();
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let req =
        format!("GET /engine.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: x\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(s);
    let closed = tokio::time::timeout(Duration::from_secs(3), session.recv()).await;
    assert_eq!(closed.expect("closed in time"), None);
    assert!(session.close_reason().is_some());
    let after = http(
        port,
        "GET",
        &format!("/engine.io/?EIO=4&transport=polling&sid={sid}"),
        &[],
        b"",
    )
    .await;
    assert_error(&after, 400, 1, "Session ID unknown");
}

/// Graceful shutdown closes every session with "server shutting down" and stops accepting.
#[tokio::test]
async fn shutdown_closes_every_session() {
    let (server, port) = start(ServerConfig::default()).await;
    let mut sessions = Vec::new();
    for _ in 0..3 {
        http(port, "GET", "/engine.io/?EIO=4&transport=polling", &[], b"").await;
        sessions.push(server.accept().await.unwrap());
    }
    server.shutdown();
    for s in &sessions {
        assert_eq!(s.recv().await, None);
        assert_eq!(
            s.close_reason(),
            Some(sio_tokio::CloseReason::ServerShuttingDown)
        );
    }
    assert!(server.accept().await.is_none());
}
