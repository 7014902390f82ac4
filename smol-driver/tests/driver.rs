//! The smol driver's own glue: both spawners (the Socket.IO handlers' tasks included), the
//! timer (heartbeats), shutdown, and the WebSocket upgrade when the connection is not a plain
//! smol TCP stream (hyper's wrapper kept).
//! The protocol itself is covered by the interop tests in `sio-tests`.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_tungstenite::tungstenite::Message;
use futures_util::StreamExt;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use sio_smol::{EngineServer, ServerConfig};
use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::net::{TcpListener, TcpStream};
use smol::Executor;
use smol_hyper::rt::FuturesIo;

/// Fails the test if `f` takes more than 5 s.
async fn in_time<T>(f: impl Future<Output = T>) -> T {
    smol::future::or(f, async {
        smol::Timer::after(Duration::from_secs(5)).await;
        panic!("timed out");
    })
    .await
}

/// Echoes every message of every session, on the global executor.
fn echo(server: &EngineServer) {
    let server = server.clone();
    smol::spawn(async move {
        while let Some(session) = server.accept().await {
            smol::spawn(async move {
                while let Some(p) = session.recv().await {
                    let _ = session.send(p);
                }
            })
            .detach();
        }
    })
    .detach();
}

/// A raw `GET` with `Connection: close`: the status line and the body.
async fn get(port: u16, target: &str) -> (String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let req = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    (
        head.lines().next().unwrap_or("").to_owned(),
        body.to_owned(),
    )
}

#[test]
fn polling_on_an_application_executor() {
    let ex = Arc::new(Executor::new());
    let (stop, stopped) = smol::channel::bounded::<()>(1);
    let runner = {
        let ex = ex.clone();
        std::thread::spawn(move || smol::block_on(ex.run(stopped.recv())))
    };
    smol::block_on(in_time(async {
        let server = EngineServer::with_executor(ServerConfig::default(), ex.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let serving = ex.spawn(server.clone().serve(listener));

        let (status, body) = get(port, "/engine.io/?EIO=4&transport=polling").await;
        assert!(status.contains(" 200 "), "{status}");
        assert!(body.starts_with("0{\"sid\":\""), "{body}");
        let session = server.accept().await.expect("a session");
        assert_eq!(session.transport(), sio_smol::TransportKind::Polling);

        let (status, _) = get(port, "/elsewhere").await;
        assert!(status.contains(" 404 "), "{status}");

        server.shutdown();
        assert!(serving.await.is_ok());
        assert!(server.accept().await.is_none());
    }));
    stop.close();
    let _ = runner.join().expect("executor thread");
}

#[test]
fn shutdown_before_serve_stops_it_at_once() {
    smol::block_on(in_time(async {
        let server = EngineServer::new(ServerConfig::default());
        server.shutdown();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        assert!(server.clone().serve(listener).await.is_ok());
        assert!(server.accept().await.is_none());
    }));
}

/// A TCP stream that is not `smol::net::TcpStream`, so the upgrade cannot take it back.
struct Foreign(TcpStream);

impl smol::io::AsyncRead for Foreign {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl smol::io::AsyncWrite for Foreign {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_close(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_close(cx)
    }
}

#[test]
fn websocket_through_hypers_wrapper_with_heartbeats() {
    smol::block_on(in_time(async {
        let server = EngineServer::new(ServerConfig {
            ping_interval: Duration::from_millis(100),
            ping_timeout: Duration::from_millis(1000),
            ..Default::default()
        });
        echo(&server);
        // The application's own hyper loop, calling `handle`.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = server.clone();
        smol::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let service = service_fn(move |req| {
                let app = app.clone();
                async move { Ok::<_, Infallible>(app.handle(req).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(FuturesIo::new(Foreign(stream)), service)
                .with_upgrades()
                .await;
        })
        .detach();

        let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let url = format!("ws://127.0.0.1:{port}/engine.io/?EIO=4&transport=websocket");
        let (mut ws, _) = async_tungstenite::client_async(url, stream).await.unwrap();
        let open = ws.next().await.unwrap().unwrap();
        assert!(
            open.to_text().unwrap().starts_with("0{\"sid\":\""),
            "{open}"
        );

        ws.send(Message::text("4hello")).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("4hello"));

        // Two heartbeats in a row: the timer fires, and is re-armed after firing.
        for _ in 0..2 {
            assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("2"));
            ws.send(Message::text("3")).await.unwrap();
        }
        ws.send(Message::text("4bye")).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("4bye"));
    }));
}

/// A raw `POST` with `Connection: close`: the status line and the body.
async fn post(port: u16, target: &str, body: &str) -> (String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let req = format!(
        "POST {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    (
        head.lines().next().unwrap_or("").to_owned(),
        body.to_owned(),
    )
}

#[test]
fn socket_io_tasks_and_handlers_run_on_the_application_executor() {
    use sio_smol::{Message, Socket, SocketIoConfig, SocketIoServer};

    let ex = Arc::new(Executor::new());
    let (stop, stopped) = smol::channel::bounded::<()>(1);
    let runner = {
        let ex = ex.clone();
        std::thread::Builder::new()
            .name("app-executor".into())
            .spawn(move || smol::block_on(ex.run(stopped.recv())))
            .unwrap()
    };
    let thread = || std::thread::current().name().unwrap_or("?").to_owned();
    smol::block_on(in_time(async {
        let server = SocketIoServer::with_executor(SocketIoConfig::default(), ex.clone());
        server
            .sockets()
            .on_connection(move |socket: Socket| async move {
                let _ = socket.emit("connected-on", &thread());
                socket.on("where", move |_, msg: Message| async move {
                    // A handler that waits goes to a task of its own (the runtime's spawn).
                    smol::Timer::after(Duration::from_millis(5)).await;
                    let _ = msg.ack(&thread());
                });
            });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let serving = ex.spawn(server.clone().serve(listener));

        let (_, open) = get(port, "/socket.io/?EIO=4&transport=polling").await;
        let sid = open
            .split("\"sid\":\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("a handshake")
            .to_owned();
        let poll = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
        let (status, body) = post(port, &poll, "40").await;
        assert!(status.contains(" 200 "), "{status} {body}");
        let mut received = String::new();
        while !received.contains("connected-on") {
            received.push_str(&get(port, &poll).await.1);
            received.push('\x1e');
        }
        assert!(received.starts_with("40{\"sid\":"), "{received}");
        assert!(
            received.contains(r#"42["connected-on","app-executor"]"#),
            "{received}"
        );

        let (status, _) = post(port, &poll, r#"421["where"]"#).await;
        assert!(status.contains(" 200 "), "{status}");
        let mut received = String::new();
        while !received.contains("431") {
            received.push_str(&get(port, &poll).await.1);
        }
        assert!(received.contains(r#"431["app-executor"]"#), "{received}");

        server.shutdown();
        assert!(serving.await.is_ok());
    }));
    stop.close();
    let _ = runner.join().expect("executor thread");
}
