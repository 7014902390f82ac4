//! A TCP forwarder whose connections a test can cut, to lose the network mid-stream.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Forwards every connection made to [`port`](Self::port) to the target port on loopback.
pub struct Proxy {
    /// The port clients connect to.
    pub port: u16,
    live: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
    /// Connections made before this instant are closed at once (the network is down).
    down_until: Arc<Mutex<Option<Instant>>>,
    accepted: Arc<std::sync::atomic::AtomicUsize>,
}

impl Proxy {
    /// Starts forwarding to `127.0.0.1:target`.
    pub fn start(target: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let live: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let down_until: Arc<Mutex<Option<Instant>>> = Arc::default();
        let accepted: Arc<std::sync::atomic::AtomicUsize> = Arc::default();
        let (l, s, d, a) = (
            live.clone(),
            stop.clone(),
            down_until.clone(),
            accepted.clone(),
        );
        thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = conn else { continue };
                a.fetch_add(1, Ordering::SeqCst);
                if d.lock().unwrap().is_some_and(|t| Instant::now() < t) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                // Registered at once: a cut while the server side connects cuts this one too.
                l.lock().unwrap().push(client.try_clone().expect("clone"));
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                {
                    let mut g = l.lock().unwrap();
                    if client.peer_addr().is_err()
                        || client.take_error().ok().flatten().is_some()
                        || !g.iter().any(|c| same(c, &client))
                    {
                        // Cut meanwhile.
                        let _ = client.shutdown(Shutdown::Both);
                        let _ = server.shutdown(Shutdown::Both);
                        continue;
                    }
                    g.push(server.try_clone().expect("clone"));
                }
                pipe(
                    client.try_clone().expect("clone"),
                    server.try_clone().expect("clone"),
                );
                pipe(server, client);
            }
        });
        Proxy {
            port,
            live,
            stop,
            down_until,
            accepted,
        }
    }

    /// How many connections were made to the proxy so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Cuts every connection open now (both directions) and closes new ones for `down`
    /// (the network is lost for that long); later ones are forwarded again.
    pub fn cut_for(&self, down: Duration) {
        *self.down_until.lock().unwrap() = Some(Instant::now() + down);
        self.cut();
    }

    /// Cuts every connection open now (both directions); new ones are forwarded again.
    pub fn cut(&self) {
        for s in self.live.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.cut();
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn same(a: &TcpStream, b: &TcpStream) -> bool {
    matches!((a.peer_addr(), b.peer_addr()), (Ok(x), Ok(y)) if x == y)
        && matches!((a.local_addr(), b.local_addr()), (Ok(x), Ok(y)) if x == y)
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}
