//! A custom event loop on the bare sans-IO core: an Engine.IO echo server over HTTP
//! long-polling with nothing but `std` (threads, a channel, `std::net`): no async runtime, no
//! HTTP library, not even `sio_core::api`.
//!
//! `cargo run -p sio-core --example event_loop` (`PORT=0` picks a free port), then connect an
//! Engine.IO client on polling to http://127.0.0.1:3000 (npm `engine.io-client` with
//! `transports: ["polling"]`): every message comes back as it was sent, text or binary.
//!
//! The loop follows `sio_core`'s caller contract (see the crate docs):
//! - one thread owns the state machine ([`Server`]) and is the only one to touch it;
//! - it waits for whichever comes first: a request from a connection thread (the channel) or
//!   the machine's next deadline ([`Server::poll_timeout`]: heartbeats, timeouts);
//! - after every input it drains [`Server::poll_transmit`] and [`Server::poll_event`] until
//!   both are empty: it writes the answers and echoes the messages (a command to the machine,
//!   whose output the same drain carries out);
//! - a long-poll GET with nothing to deliver is parked by the machine: its answer comes out of
//!   `poll_transmit` later (a message, a ping, a close), addressed by the request's
//!   [`TransportId`].
//!
//! Each connection has a thread that reads its requests (a tiny HTTP/1.1 reader) and hands
//! them over with a handle to write the answer on. An example, not a production server: no
//! WebSocket (the repository's `tests/src/bin/eio-echo-blocking.rs` is a bigger loop on mio
//! with the upgrade), a thread per connection, answers written by the loop's thread.

// This file is the driver: it owns the sockets and reads the clock, which the core never does
// (core/clippy.toml forbids both in the crate).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread;
use std::time::Instant;

use sio_core::bytes::Bytes;
use sio_core::engine::server::{
    Event, Request, Response, Server, ServerConfig, Transmit, TransportId, Transports,
};

/// What a connection thread tells the loop.
enum Input {
    /// A request, and the connection to answer it on.
    Request(TransportId, Box<Request>, TcpStream),
    /// The connection closed; its last request, if still unanswered, never will be.
    Closed(TransportId),
}

fn main() -> io::Result<()> {
    let config = ServerConfig {
        transports: Transports::POLLING_ONLY, // this loop speaks no WebSocket
        ..Default::default()                  // path /engine.io/, the reference's defaults
    };
    let max_payload = config.max_payload;
    let mut server = Server::new(config);

    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = TcpListener::bind(format!("127.0.0.1:{port}"))?;
    println!("listening {}", listener.local_addr()?.port());
    let (inputs, rx) = mpsc::channel();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let inputs = inputs.clone();
            thread::spawn(move || connection(stream, max_payload, inputs));
        }
    });

    // Requests the machine may still answer, by id.
    let mut waiting: HashMap<TransportId, TcpStream> = HashMap::new();
    loop {
        // Wait for input, but not past the machine's deadline.
        let deadline = server.poll_timeout();
        let input = match deadline {
            Some(at) => rx.recv_timeout(at.saturating_duration_since(Instant::now())),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        let now = Instant::now();
        match input {
            Ok(Input::Request(id, request, stream)) => {
                waiting.insert(id, stream);
                server.handle_request(now, id, *request);
            }
            Ok(Input::Closed(id)) => {
                if waiting.remove(&id).is_some() {
                    server.handle_request_aborted(now, id);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        }
        if deadline.is_some_and(|at| at <= now) {
            server.handle_timeout(now); // safe to call early: nothing happens then
        }
        // Drain every output before waiting again.
        loop {
            if let Some(transmit) = server.poll_transmit() {
                match transmit {
                    // `encoded`: compresses a long-poll answer when the client accepts it.
                    Transmit::Response { to, response } => {
                        answer(&mut waiting, to, response.encoded())
                    }
                    Transmit::RefuseWebSocket { to, response } => {
                        answer(&mut waiting, to, response)
                    }
                    // Polling only: the machine accepts no WebSocket, so asks nothing else.
                    _ => {}
                }
            } else if let Some(event) = server.poll_event() {
                if let Event::Message { sid, packet, .. } = event {
                    let _ = server.send(&sid, packet); // the echo
                }
            } else {
                break;
            }
        }
    }
}

/// Writes `response` on the connection of request `to` (a long-poll parked earlier, maybe).
fn answer(waiting: &mut HashMap<TransportId, TcpStream>, to: TransportId, response: Response) {
    let Some(mut stream) = waiting.remove(&to) else {
        return;
    };
    let reason = if response.status < 300 { "OK" } else { "Error" };
    let mut head = format!("HTTP/1.1 {} {reason}\r\n", response.status);
    for (name, value) in &response.headers {
        head += &format!("{name}: {value}\r\n");
    }
    head += &format!("content-length: {}\r\n\r\n", response.body.len());
    // A client gone meanwhile: its connection thread reports it.
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&response.body);
}

/// One connection's thread: reads requests until the client leaves or misbehaves.
fn connection(stream: TcpStream, max_payload: usize, inputs: Sender<Input>) {
    static NEXT_ID: AtomicU64 = AtomicU64::new(0);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut last = None;
    // A client sends its next request on a connection once the previous one is answered.
    while let Ok(Some(request)) = read_request(&mut reader, max_payload) {
        let id = TransportId(NEXT_ID.fetch_add(1, Ordering::Relaxed));
        last = Some(id);
        let Ok(write_half) = stream.try_clone() else {
            break;
        };
        if inputs
            .send(Input::Request(id, Box::new(request), write_half))
            .is_err()
        {
            return;
        }
    }
    if let Some(id) = last {
        let _ = inputs.send(Input::Closed(id));
    }
}

/// Reads one request: the request line, at most 64 headers of at most 8 KiB each, and a
/// `Content-Length` body of which at most `max_payload + 1` bytes are kept (as the core asks
/// of drivers: it answers a longer one with the reference's 413). `None` at the end of the
/// stream. No chunked bodies: engine.io-client sends a length.
fn read_request(
    reader: &mut BufReader<TcpStream>,
    max_payload: usize,
) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.by_ref().take(8192).read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut words = line.split_whitespace().map(str::to_owned);
    let (method, target) = (
        words.next().unwrap_or_default(),
        words.next().unwrap_or_default(),
    );
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.by_ref().take(8192).read_line(&mut line)?;
        let Some((name, value)) = line.split_once(':') else {
            break; // the empty line that ends the head
        };
        if headers.len() == 64 {
            return Err(io::ErrorKind::InvalidData.into());
        }
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let length: u64 = header("content-length")
        .map_or(Ok(0), str::parse)
        .map_err(|_| io::ErrorKind::InvalidData)?;
    let mut body = Vec::new();
    reader
        .by_ref()
        .take(length.min(max_payload as u64 + 1))
        .read_to_end(&mut body)?;
    io::copy(
        &mut reader.by_ref().take(length - body.len() as u64),
        &mut io::sink(),
    )?;
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target.as_str(), None),
    };
    Ok(Some(Request::from_parts(
        &method,
        path,
        query,
        header,
        Bytes::from(body),
    )))
}
