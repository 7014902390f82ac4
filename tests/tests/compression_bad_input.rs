//! Hostile permessage-deflate traffic over raw sockets against sio (both drivers, the
//! extension on, `max_payload` 1 000 000), answered as the reference's `ws` 8 answers it:
//! a message that inflates past the limit is closed with 1009 (however small on the wire),
//! bad deflate data and invalid UTF-8 inside a compressed text with 1007, RSV1 on a
//! continuation or control frame with 1002, a `Sec-WebSocket-Extensions` header `ws` cannot
//! accept with 400; with the extension off, any RSV1 frame with 1002. A valid compressed
//! CONNECT is answered (the server inflated it).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use sio_core::compress::deflate::{Agreed, Codec, PerMessageDeflate, Role};
use sio_tests::peers::ServerProcess;

fn server(driver: &str, deflate: bool) -> ServerProcess {
    let mut args = vec!["--driver", driver];
    if deflate {
        args.extend(["--per-message-deflate", "1024"]);
    }
    ServerProcess::start(env!("CARGO_BIN_EXE_sio-echo"), &args)
}

/// A client's compressor (threshold 0: everything is compressed).
fn codec() -> Codec {
    let agreed = Agreed {
        server_no_context_takeover: false,
        client_no_context_takeover: false,
        server_max_window_bits: None,
        client_max_window_bits: None,
    };
    let cfg = PerMessageDeflate {
        threshold: 0,
        ..PerMessageDeflate::default()
    };
    Codec::new(Role::Client, &agreed, &cfg)
}

/// A masked client frame (mask 0).
fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![first];
    match payload.len() {
        n if n < 126 => f.push(0x80 | n as u8),
        n if n < 65536 => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(0x80 | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(&[0, 0, 0, 0]);
    f.extend_from_slice(payload);
    f
}

/// Opens a WebSocket handshake with `extensions`; the response head and the connection.
fn open(port: u16, extensions: &str) -> (String, TcpStream) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: {extensions}\r\n\r\n"
    )
    .unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut b).unwrap_or(0) == 0 {
            break;
        }
        head.push(b[0]);
    }
    (String::from_utf8_lossy(&head).into_owned(), s)
}

/// Reads one server frame: (first byte, payload).
fn read_frame(s: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut h = [0u8; 2];
    s.read_exact(&mut h).ok()?;
    let len = match h[1] & 0x7f {
        126 => {
            let mut l = [0u8; 2];
            s.read_exact(&mut l).ok()?;
            u16::from_be_bytes(l) as usize
        }
        127 => {
            let mut l = [0u8; 8];
            s.read_exact(&mut l).ok()?;
            u64::from_be_bytes(l) as usize
        }
        n => n as usize,
    };
    let mut p = vec![0; len];
    s.read_exact(&mut p).ok()?;
    Some((h[0], p))
}

/// The close code the server answers with after `frames` (frames before it are skipped).
fn close_code_after(port: u16, frames: &[Vec<u8>]) -> Option<u16> {
    let (head, mut s) = open(port, "permessage-deflate; client_max_window_bits");
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    read_frame(&mut s).expect("open packet");
    for f in frames {
        s.write_all(f).unwrap();
    }
    while let Some((first, payload)) = read_frame(&mut s) {
        if first & 0x0f == 8 {
            return (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
        }
    }
    None
}

fn hostile_input_gets_the_reference_answers(driver: &str) {
    let on = server(driver, true);
    hostile_input_answers(on.port, false);

    // The extension off: RSV1 is a protocol error.
    let off = server(driver, false);
    let (head, mut s) = open(off.port, "permessage-deflate");
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("sec-websocket-extensions"),
        "{head}"
    );
    read_frame(&mut s).expect("open packet");
    s.write_all(&frame(0xc1, &codec().compress(b"40").unwrap()))
        .unwrap();
    let mut code = None;
    while let Some((first, payload)) = read_frame(&mut s) {
        if first & 0x0f == 8 {
            code = Some(u16::from_be_bytes([payload[0], payload[1]]));
            break;
        }
    }
    assert_eq!(code, Some(1002));
}

/// The answers of the server on `port` with the extension on (`reference`: npm `socket.io`,
/// which accepts any `server_max_window_bits`, where sio declines a window under 15).
fn hostile_input_answers(port: u16, reference: bool) {
    // A valid compressed CONNECT is inflated and answered, compressed or not.
    let (head, mut s) = open(port, "permessage-deflate; client_max_window_bits");
    assert!(
        head.to_ascii_lowercase()
            .contains("sec-websocket-extensions: permessage-deflate\r\n"),
        "{head}"
    );
    let mut c = codec();
    // The open packet: inflated too (with context takeover the next message may refer to it).
    let (first, open_packet) = read_frame(&mut s).expect("open packet");
    if first & 0x40 != 0 {
        let open_packet = c.decompress(&open_packet, 1000).expect("open inflates");
        assert!(open_packet.starts_with(b"0{"), "{open_packet:?}");
    }
    s.write_all(&frame(0xc1, &c.compress(b"40").unwrap()))
        .unwrap();
    let (first, payload) = read_frame(&mut s).expect("CONNECT answer");
    // With context takeover `ws` compresses even this short answer (and so does sio).
    assert_eq!(first, 0xc1, "the answer is compressed");
    let payload = c.decompress(&payload, 1000).expect("inflates");
    assert!(payload.starts_with(b"40{\"sid\":"), "{payload:?}");

    // 10 MB of zeros, ~10 KB on the wire: stopped at the limit.
    let bomb = codec().compress(&vec![b'4'; 10_000_000]).unwrap();
    assert!(bomb.len() < 20_000);
    assert_eq!(
        close_code_after(port, &[frame(0xc1, &bomb)]),
        Some(1009),
        "bomb"
    );
    // Not deflate data.
    assert_eq!(
        close_code_after(port, &[frame(0xc1, &[0xff, 0xff, 0xff])]),
        Some(1007),
        "corrupt"
    );
    // Invalid UTF-8 in a compressed text message.
    let bad = codec().compress(b"42[\"echo\",\"\xff\xfe\"]").unwrap();
    assert_eq!(
        close_code_after(port, &[frame(0xc1, &bad)]),
        Some(1007),
        "utf-8"
    );
    // RSV1 on a continuation frame, and on a ping.
    let cont = [frame(0x01, b"42[\"echo\","), frame(0xc0, b"1]")];
    assert_eq!(close_code_after(port, &cont), Some(1002), "continuation");
    assert_eq!(
        close_code_after(port, &[frame(0xc9, b"")]),
        Some(1002),
        "ping"
    );
    // A compressed message over several frames (RSV1 on the first only) is fine.
    let z = codec().compress(b"40").unwrap();
    let (_, mut s) = open(port, "permessage-deflate");
    read_frame(&mut s).expect("open packet");
    let (a, b) = z.split_at(1);
    s.write_all(&frame(0x41, a)).unwrap();
    s.write_all(&frame(0x89, b"p")).unwrap();
    s.write_all(&frame(0x80, b)).unwrap();
    let mut answered = false;
    while let Some((first, _)) = read_frame(&mut s) {
        if first & 0x0f == 1 {
            answered = first & 0x40 != 0;
            break;
        }
    }
    assert!(answered, "a fragmented compressed CONNECT was not answered");

    // Headers `ws` refuses.
    for bad in [
        "permessage-deflate; foo",
        "permessage-deflate; client_max_window_bits=7",
        "permessage-deflate;;",
    ] {
        let (head, _) = open(port, bad);
        assert!(head.starts_with("HTTP/1.1 400"), "{bad}: {head}");
    }
    // An offer the server declines (a window it cannot compress with): no extension; the
    // reference takes it.
    let (head, _) = open(port, "permessage-deflate; server_max_window_bits=10");
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let agreed = head
        .to_ascii_lowercase()
        .contains("sec-websocket-extensions");
    assert_eq!(agreed, reference, "{head}");
}

#[test]
fn hostile_compressed_input_is_answered_as_ws_on_tokio() {
    hostile_input_gets_the_reference_answers("tokio");
}

#[test]
fn hostile_compressed_input_is_answered_as_ws_on_smol() {
    hostile_input_gets_the_reference_answers("smol");
}

/// The same inputs against npm `socket.io` 4.8 with `perMessageDeflate: true`
/// (`tests/js/compression-server.mjs`): the expectations above are the reference's.
#[test]
fn the_node_reference_answers_hostile_compressed_input_the_same() {
    let script = sio_tests::peers::js_dir().join("compression-server.mjs");
    let node = ServerProcess::start("node", &[script.to_str().expect("path"), "--port", "0"]);
    hostile_input_answers(node.port, true);
}
