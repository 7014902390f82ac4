//! The client's WebTransport sessions: wtransport's client endpoint, one per session, and its
//! bidirectional stream as the core's [`WtConnection`] (bytes in and out; the framing is the
//! core's).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use sio_core::api::client::{WtConnection, WtRequest};
use wtransport::endpoint::{endpoint_side, ConnectOptions};
use wtransport::quinn;
use wtransport::{ClientConfig, Connection, Endpoint};

use crate::webtransport::ClientOptions;

/// How long a closing session waits for the server to acknowledge what was written.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

struct Session {
    /// Keeps the UDP socket open.
    _endpoint: Endpoint<endpoint_side::Client>,
    conn: Connection,
    send: wtransport::SendStream,
    recv: wtransport::RecvStream,
    closing: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

/// Opens the session `req` names and its bidirectional stream.
pub(crate) async fn connect(
    options: Arc<ClientOptions>,
    req: WtRequest,
) -> Result<Box<dyn WtConnection>, String> {
    let builder = ClientConfig::builder().with_bind_default();
    let config = if options.server_certificate_hashes.is_empty() {
        builder.with_native_certs().build()
    } else {
        builder
            .with_server_certificate_hashes(options.server_certificate_hashes.iter().cloned())
            .build()
    };
    let endpoint = Endpoint::client(config).map_err(|e| e.to_string())?;
    let e = &req.endpoint;
    let host = if e.host.contains(':') {
        format!("[{}]", e.host)
    } else {
        e.host.clone()
    };
    let url = format!("https://{host}:{}{}", e.port, req.path_and_query);
    let mut connect = ConnectOptions::builder(url);
    for (k, v) in &req.headers {
        connect = connect.add_header(k, v);
    }
    let conn = endpoint
        .connect(connect.build())
        .await
        .map_err(|e| e.to_string())?;
    let opening = conn.open_bi().await.map_err(|e| e.to_string())?;
    let (send, recv) = opening.await.map_err(|e| e.to_string())?;
    Ok(Box::new(Session {
        _endpoint: endpoint,
        conn,
        send,
        recv,
        closing: None,
    }))
}

impl WtConnection for Session {
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, String>>> {
        let mut buf = [0u8; 8 * 1024];
        match ready!(self.recv.quic_stream_mut().poll_read(cx, &mut buf)) {
            Ok(0) => Poll::Ready(None),
            Ok(n) => Poll::Ready(Some(Ok(Bytes::copy_from_slice(&buf[..n])))),
            // The server closed the session without an error code: a clean close.
            Err(quinn::ReadError::ConnectionLost(quinn::ConnectionError::ApplicationClosed(c)))
                if c.error_code == quinn::VarInt::from_u32(0) =>
            {
                Poll::Ready(None)
            }
            Err(e) => Poll::Ready(Some(Err(e.to_string()))),
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<Result<usize, String>> {
        tokio::io::AsyncWrite::poll_write(Pin::new(self.send.quic_stream_mut()), cx, data)
            .map_err(|e| e.to_string())
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), String>> {
        if self.closing.is_none() {
            let _ = self.send.quic_stream_mut().finish();
            let stopped = self.send.quic_stream().stopped();
            let conn = self.conn.clone();
            self.closing = Some(Box::pin(async move {
                let _ = tokio::time::timeout(CLOSE_WAIT, stopped).await;
                conn.close(0u32.into(), b"");
            }));
        }
        match self.closing.as_mut() {
            Some(f) => f.as_mut().poll(cx).map(Ok),
            None => Poll::Ready(Ok(())),
        }
    }
}
