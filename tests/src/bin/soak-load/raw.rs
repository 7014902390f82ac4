//! The raw clients the steady, churn and stalled roles speak with: a small WebSocket client, HTTP/1.1 requests and an Engine.IO long-polling session, over plain sockets.

use super::*;

// ---- a minimal WebSocket client ---------------------------------------------------------------

/// One WebSocket connection (client side: frames written masked; the server's read unmasked).
pub(crate) struct Ws {
    pub(crate) stream: TcpStream,
    pub(crate) buf: Vec<u8>,
    pub(crate) mask: u32,
}

/// What a text frame from the server is.
pub(crate) enum Frame {
    Text(String),
    Binary,
    Close,
}

impl Ws {
    /// Sends the upgrade request for `path` on `stream` and reads the `101`.
    pub(crate) async fn open(mut stream: TcpStream, path: &str) -> io::Result<Ws> {
        stream.write_all(upgrade_request(path).as_bytes()).await?;
        let mut buf = Vec::with_capacity(512);
        let end = loop {
            if let Some(end) = find(&buf, b"\r\n\r\n") {
                break end;
            }
            if stream.read_buf(&mut buf).await? == 0 {
                return Err(err("closed during the WebSocket handshake"));
            }
        };
        if !buf.starts_with(b"HTTP/1.1 101") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            return Err(err(format!("upgrade refused: {head}")));
        }
        buf.drain(..end + 4);
        Ok(Ws {
            stream,
            buf,
            mask: 0x1234_5678,
        })
    }

    /// Reads the next whole message (cancel-safe: bytes read stay in the buffer).
    pub(crate) async fn read(&mut self) -> io::Result<Frame> {
        loop {
            if let Some(f) = self.parse()? {
                return Ok(f);
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(err("closed"));
            }
        }
    }

    /// One frame out of the buffer, if it holds a whole one. Control frames are answered
    /// (`ping`) or reported (`close`); the server does not fragment its messages.
    pub(crate) fn parse(&mut self) -> io::Result<Option<Frame>> {
        loop {
            let b = &self.buf;
            if b.len() < 2 {
                return Ok(None);
            }
            let opcode = b[0] & 0x0f;
            let (len, head) = match b[1] & 0x7f {
                126 if b.len() >= 4 => (u16::from_be_bytes([b[2], b[3]]) as usize, 4),
                127 if b.len() >= 10 => {
                    let mut n = [0u8; 8];
                    n.copy_from_slice(&b[2..10]);
                    (u64::from_be_bytes(n) as usize, 10)
                }
                126 | 127 => return Ok(None),
                n => (n as usize, 2),
            };
            if b.len() < head + len {
                return Ok(None);
            }
            let payload: Vec<u8> = self.buf[head..head + len].to_vec();
            self.buf.drain(..head + len);
            match opcode {
                0x1 => {
                    return Ok(Some(Frame::Text(
                        String::from_utf8(payload).map_err(|_| err("text frame not UTF-8"))?,
                    )))
                }
                0x2 => return Ok(Some(Frame::Binary)),
                0x8 => return Ok(Some(Frame::Close)),
                // A ping is answered at the next write; nothing the soak needs.
                _ => continue,
            }
        }
    }

    pub(crate) fn frame(&mut self, opcode: u8, payload: &[u8]) -> Vec<u8> {
        self.mask = self
            .mask
            .wrapping_mul(1_664_525)
            .wrapping_add(1_013_904_223);
        let key = self.mask.to_be_bytes();
        let mut out = Vec::with_capacity(payload.len() + 14);
        out.push(0x80 | opcode);
        match payload.len() {
            n if n < 126 => out.push(0x80 | n as u8),
            n if n < 65536 => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(&key);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        out
    }

    pub(crate) async fn send(&mut self, text: &str) -> io::Result<()> {
        let f = self.frame(0x1, text.as_bytes());
        self.stream.write_all(&f).await
    }

    /// A close frame (code 1000), then waits up to a second for the server's close.
    pub(crate) async fn close(mut self) {
        let f = self.frame(0x8, &1000u16.to_be_bytes());
        if self.stream.write_all(&f).await.is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(1), async {
                while !matches!(self.read().await, Ok(Frame::Close) | Err(_)) {}
            })
            .await;
        }
    }

    /// Reads up to the Engine.IO open packet, sends the Socket.IO CONNECT for `/`, and reads
    /// up to its answer (`40{"sid":…}`).
    pub(crate) async fn join(&mut self) -> io::Result<()> {
        self.expect(|t| t.starts_with('0')).await?;
        self.send("40").await?;
        self.expect(|t| t.starts_with("40")).await?;
        Ok(())
    }

    /// Reads until a text message `ok` accepts (pings answered on the way).
    pub(crate) async fn expect(&mut self, ok: impl Fn(&str) -> bool) -> io::Result<String> {
        loop {
            match self.read().await? {
                Frame::Text(t) if ok(&t) => return Ok(t),
                Frame::Text(t) if t == "2" => self.send("3").await?,
                Frame::Text(t) if t.starts_with("44") => {
                    return Err(err(format!("connect refused: {t}")))
                }
                Frame::Close => return Err(err("closed by the server")),
                _ => {}
            }
        }
    }
}

pub(crate) fn upgrade_request(path: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
}

pub(crate) fn ws_path(rooms: &str, sid: Option<&str>) -> String {
    match sid {
        Some(sid) => format!("/socket.io/?EIO=4&transport=websocket&sid={sid}&rooms={rooms}"),
        None => format!("/socket.io/?EIO=4&transport=websocket&rooms={rooms}"),
    }
}

// ---- a minimal long-polling client ------------------------------------------------------------

/// One HTTP/1.1 keep-alive connection.
pub(crate) struct Http {
    pub(crate) stream: TcpStream,
    pub(crate) buf: Vec<u8>,
}

impl Http {
    pub(crate) async fn connect(src: Ipv4Addr, dst: SocketAddr) -> io::Result<Http> {
        Ok(Http {
            stream: tcp(src, dst, None).await?,
            buf: Vec::with_capacity(512),
        })
    }

    pub(crate) async fn send(&mut self, method: &str, path: &str, body: &str) -> io::Result<()> {
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain;charset=UTF-8\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.write_all(req.as_bytes()).await
    }

    /// Reads one response; its body, or an error for a status other than 200.
    pub(crate) async fn response(&mut self) -> io::Result<String> {
        let (status, len, head_len) = loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                let status: u16 = head
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                let len = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                break (status, len, end + 4);
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(err("closed"));
            }
        };
        while self.buf.len() < head_len + len {
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(err("closed"));
            }
        }
        let body = String::from_utf8_lossy(&self.buf[head_len..head_len + len]).into_owned();
        self.buf.drain(..head_len + len);
        if status != 200 {
            return Err(err(format!("HTTP {status}: {body}")));
        }
        Ok(body)
    }

    pub(crate) async fn request(
        &mut self,
        method: &str,
        path: &str,
        body: &str,
    ) -> io::Result<String> {
        self.send(method, path, body).await?;
        self.response().await
    }
}

/// A polling session: the connection that carries the GETs, the one that carries the POSTs,
/// and the path with the session id.
pub(crate) struct Polling {
    pub(crate) get: Http,
    pub(crate) post: Http,
    pub(crate) path: String,
}

impl Polling {
    /// The Engine.IO handshake (one GET); no namespace joined yet.
    pub(crate) async fn handshake(
        src: Ipv4Addr,
        dst: SocketAddr,
        rooms: &str,
    ) -> io::Result<Polling> {
        let mut get = Http::connect(src, dst).await?;
        let open = get
            .request(
                "GET",
                &format!("/socket.io/?EIO=4&transport=polling&rooms={rooms}"),
                "",
            )
            .await?;
        let sid = sid_of(&open)?;
        let path = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
        let post = Http::connect(src, dst).await?;
        Ok(Polling { get, post, path })
    }

    pub(crate) fn sid(&self) -> &str {
        self.path.rsplit('=').next().unwrap_or_default()
    }

    /// Joins `/`: POSTs the CONNECT and polls until its answer.
    pub(crate) async fn join(&mut self) -> io::Result<()> {
        self.post.request("POST", &self.path, "40").await?;
        loop {
            let body = self.get.request("GET", &self.path, "").await?;
            for p in body.split('\u{1e}') {
                if p.starts_with("40") {
                    return Ok(());
                }
                if p == "2" {
                    self.post.request("POST", &self.path, "3").await?;
                }
            }
        }
    }

    pub(crate) async fn open(src: Ipv4Addr, dst: SocketAddr, rooms: &str) -> io::Result<Polling> {
        let mut p = Polling::handshake(src, dst, rooms).await?;
        p.join().await?;
        Ok(p)
    }
}
