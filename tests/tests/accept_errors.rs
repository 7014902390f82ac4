//! A server that runs out of file descriptors keeps serving, on both drivers: while every
//! descriptor it may open is taken its accept loop fails (`EMFILE`), and once connections
//! close it accepts again, its sessions and listener intact. Before, the failed accept ended
//! `serve` (the interop server then exits).
//!
//! The server is `sio-echo` in its own process, started under `ulimit -n 64`; this test
//! holds plain TCP connections to it to use up its descriptors.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use sio_tests::peers::ServerProcess;

/// Plain connections held open: more than the server has descriptors left, fewer than its
/// listen queue holds.
const HOGS: usize = 90;

/// An Engine.IO polling handshake on a new connection: whether the answer (within
/// `patience`) opens a session.
fn handshake(addr: SocketAddr, patience: Duration) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, patience) else {
        return false;
    };
    s.set_read_timeout(Some(patience)).unwrap();
    let request =
        "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
    if s.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    answer.starts_with("HTTP/1.1 200") && answer.contains("0{\"sid\":\"")
}

fn keeps_serving_after_running_out_of_descriptors(driver: &str) {
    let server = ServerProcess::start(
        "sh",
        &[
            "-c",
            "ulimit -n 64 && exec \"$0\" \"$@\"",
            env!("CARGO_BIN_EXE_sio-echo"),
            "--driver",
            driver,
        ],
    );
    let addr: SocketAddr = ([127, 0, 0, 1], server.port).into();
    assert!(
        handshake(addr, Duration::from_secs(5)),
        "no session at the start"
    );

    // Use up the server's descriptors: those it accepts wait for a request that never comes;
    // the rest wait in its listen queue.
    let hogs: Vec<TcpStream> = (0..HOGS)
        .filter_map(|_| TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok())
        .collect();
    assert!(hogs.len() > 64, "only {} connections were made", hogs.len());
    // The limit is reached: a new connection is not taken.
    assert!(
        !handshake(addr, Duration::from_secs(1)),
        "the server still accepts: the limit was not reached, the test proves nothing"
    );

    // Once they close, the server accepts again (it retries each second).
    drop(hogs);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !handshake(addr, Duration::from_secs(2)) {
        assert!(
            Instant::now() < deadline,
            "{driver}: no session 20 s after the connections closed"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn tokio_keeps_serving_after_running_out_of_descriptors() {
    keeps_serving_after_running_out_of_descriptors("tokio");
}

#[test]
fn smol_keeps_serving_after_running_out_of_descriptors() {
    keeps_serving_after_running_out_of_descriptors("smol");
}
