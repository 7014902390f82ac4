//! A minimal Engine.IO long-polling client (HTTP/1.1 keep-alive, `Content-Length` bodies) for
//! the load generator's mixed runs: one connection keeps a GET parked, another carries POSTs.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The Engine.IO packet separator of a polling payload.
pub const SEPARATOR: char = '\u{1e}';

/// One HTTP/1.1 keep-alive connection.
pub struct Conn {
    stream: TcpStream,
    host: String,
    buf: Vec<u8>,
}

impl Conn {
    /// Connects to `addr` (`host:port`).
    pub async fn connect(addr: &str) -> io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            host: addr.to_owned(),
            buf: Vec::with_capacity(4096),
        })
    }

    /// Sends one request and reads the whole response body (an error for a status other
    /// than 200).
    pub async fn request(&mut self, method: &str, path: &str, body: &str) -> io::Result<String> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: text/plain;charset=UTF-8\r\n\
             Content-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        let mut out = head.into_bytes();
        out.extend_from_slice(body.as_bytes());
        self.stream.write_all(&out).await?;
        let (status, len, head_len) = loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                let status = head
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse::<u16>().ok())
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
            self.fill().await?;
        };
        while self.buf.len() < head_len + len {
            self.fill().await?;
        }
        let body = String::from_utf8_lossy(&self.buf[head_len..head_len + len]).into_owned();
        self.buf.drain(..head_len + len);
        if status != 200 {
            return Err(io::Error::other(format!("HTTP {status}: {body}")));
        }
        Ok(body)
    }

    async fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 4096];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A polling session joined to the main namespace: the GET connection, the POST connection,
/// and the path with the session id.
pub struct Session {
    /// Carries the parked GETs.
    pub get: Conn,
    /// Carries the POSTs.
    pub post: Conn,
    /// `/socket.io/?EIO=4&transport=polling&sid=…`.
    pub path: String,
}

impl Session {
    /// Handshakes with the server at `addr` and joins `/`.
    pub async fn open(addr: &str) -> io::Result<Session> {
        let mut get = Conn::connect(addr).await?;
        let open = get
            .request("GET", "/socket.io/?EIO=4&transport=polling", "")
            .await?;
        let sid = open
            .split("\"sid\":\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .ok_or_else(|| io::Error::other(format!("no sid in {open}")))?
            .to_owned();
        let path = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
        let mut post = Conn::connect(addr).await?;
        post.request("POST", &path, "40").await?;
        // The CONNECT answer (and possibly more) arrives on the next GET.
        loop {
            let body = get.request("GET", &path, "").await?;
            if body.split(SEPARATOR).any(|p| p.starts_with("40")) {
                break;
            }
        }
        Ok(Session { get, post, path })
    }
}
