//! The load generator's WebTransport client (`--proto sio-wt`): one HTTP/3 session per client
//! to `https://ADDR/socket.io/?EIO=4&transport=webtransport`, trusting the server's development
//! certificate by its SHA-256 hash; the Engine.IO handshake (`open` on the stream, the server's
//! `open` back) and the Socket.IO CONNECT, then text frames both ways, framed by
//! `sio_core::engine::webtransport`.

use bytes::Bytes;
use sio_core::engine::webtransport::{self, StreamDecoder};
use sio_core::engine::Frame;
use sio_core::Str;
use wtransport::endpoint::endpoint_side;
use wtransport::tls::Sha256Digest;
use wtransport::{ClientConfig, Connection, Endpoint};

/// One client's session and stream.
pub struct WtConn {
    _endpoint: Endpoint<endpoint_side::Client>,
    _conn: Connection,
    send: wtransport::SendStream,
    recv: wtransport::RecvStream,
    decoder: StreamDecoder,
    buf: Vec<u8>,
}

/// The hash printed by `sio-server --webtransport` (64 hex digits).
pub fn parse_hash(hex: &str) -> Sha256Digest {
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex hash");
    }
    Sha256Digest::new(out)
}

impl WtConn {
    /// Opens the session, completes the Engine.IO handshake and joins `/`.
    pub async fn connect(addr: &str, hash: &Sha256Digest) -> WtConn {
        let config = ClientConfig::builder()
            .with_bind_default()
            .with_server_certificate_hashes([hash.clone()])
            .build();
        let endpoint = Endpoint::client(config).expect("endpoint");
        let url = format!("https://{addr}/socket.io/?EIO=4&transport=webtransport");
        let conn = endpoint.connect(url).await.expect("webtransport session");
        let (send, recv) = conn.open_bi().await.expect("stream").await.expect("stream");
        let mut c = WtConn {
            _endpoint: endpoint,
            _conn: conn,
            send,
            recv,
            decoder: StreamDecoder::new(usize::MAX),
            buf: vec![0; 16 * 1024],
        };
        c.send_text("0").await;
        let open = c.next_text().await.expect("open");
        assert!(open.starts_with("0{"), "handshake: {open}");
        c.send_text("40").await;
        loop {
            let t = c.next_text().await.expect("connect");
            if t.starts_with("40") {
                break;
            }
        }
        c
    }

    /// Sends one text packet.
    pub async fn send_text(&mut self, text: &str) -> bool {
        let mut out = Vec::with_capacity(text.len() + 3);
        webtransport::encode(&Frame::Text(Str::from(text.to_owned())), &mut out);
        self.send.write_all(&out).await.is_ok()
    }

    /// The next text packet; `None` when the session ends.
    pub async fn next_text(&mut self) -> Option<String> {
        loop {
            match self.decoder.next_frame() {
                Some(Ok(Frame::Text(t))) => return Some(t.as_str().to_owned()),
                Some(Ok(Frame::Binary(_))) => continue,
                Some(Err(_)) => return None,
                None => {}
            }
            let n = self.recv.read(&mut self.buf).await.ok()??;
            self.decoder.push(Bytes::copy_from_slice(&self.buf[..n]));
        }
    }
}
