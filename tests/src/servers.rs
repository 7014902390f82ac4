//! In-process Socket.IO servers for tests, on either driver: each call starts a runtime of its
//! own (two worker threads, as the interop servers) on a thread that lives as long as the test
//! process, and returns the servers' ports.

use std::sync::Arc;

use sio_core::api::socketio::{SocketIo, SocketIoConfig};

/// Sets up a server's handlers (on the runtime-agnostic API, the same under both drivers).
pub type Setup = Box<dyn FnOnce(&SocketIo) + Send>;

/// Starts one server per `(config, setup)` on `driver` (`tokio` or `smol`), listening on free
/// loopback ports, in the order given.
pub fn start(driver: &str, servers: Vec<(SocketIoConfig, Setup)>) -> Vec<u16> {
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u16>>();
    match driver {
        "tokio" => {
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    let mut ports = Vec::new();
                    for (config, setup) in servers {
                        let server = sio_tokio::SocketIoServer::new(config);
                        setup(server.io());
                        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                        ports.push(l.local_addr().unwrap().port());
                        tokio::spawn(server.serve(l));
                    }
                    tx.send(ports).unwrap();
                    std::future::pending::<()>().await;
                });
            });
        }
        "smol" => {
            let ex = Arc::new(smol::Executor::new());
            for _ in 0..2 {
                let ex = ex.clone();
                std::thread::spawn(move || smol::block_on(ex.run(smol::future::pending::<()>())));
            }
            std::thread::spawn(move || {
                smol::block_on(async move {
                    let mut ports = Vec::new();
                    for (config, setup) in servers {
                        let server = sio_smol::SocketIoServer::with_executor(config, ex.clone());
                        setup(server.io());
                        let l = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                        ports.push(l.local_addr().unwrap().port());
                        ex.spawn(server.serve(l)).detach();
                    }
                    tx.send(ports).unwrap();
                    std::future::pending::<()>().await;
                });
            });
        }
        other => panic!("unknown driver {other}"),
    }
    rx.recv().expect("servers started")
}

/// One server on `driver`; its port.
pub fn start_one(driver: &str, config: SocketIoConfig, setup: Setup) -> u16 {
    start(driver, vec![(config, setup)])[0]
}
