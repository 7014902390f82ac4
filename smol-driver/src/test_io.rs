//! Helpers of the socket tests ([`crate::tcp`], [`crate::edge`]): a peer that writes in
//! small pieces with pauses, and a reader that reads to the end in small reads.

use smol::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Writes `count` messages of seven bytes (message `i` is seven `i`s), pausing 2 ms after every
/// fifth, so that the reader's reads come up short and then wait; then drops the stream.
pub(crate) async fn write_in_pieces(mut peer: impl AsyncWrite + Unpin, count: u8) {
    for i in 0..count {
        peer.write_all(&[i; 7]).await.unwrap();
        if i % 5 == 0 {
            smol::Timer::after(std::time::Duration::from_millis(2)).await;
        }
    }
}

/// What [`write_in_pieces`] writes.
pub(crate) fn pieces(count: u8) -> Vec<u8> {
    (0..count).flat_map(|i| [i; 7]).collect()
}

/// Reads to the end of the stream, 64 bytes at most per read.
pub(crate) async fn read_all_in_small_reads(conn: &mut (impl AsyncRead + Unpin)) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    loop {
        let n = conn.read(&mut buf).await.unwrap();
        if n == 0 {
            return got;
        }
        got.extend_from_slice(&buf[..n]);
    }
}

/// Twenty rounds of: `conn` has nothing to read and says so (twice: the second poll waits on
/// the first's registration), then `peer` writes and the read gets exactly that; at last the
/// end of the stream once `peer` is dropped.
pub(crate) async fn waits_then_reads_each_round(
    conn: &mut (impl AsyncRead + Unpin),
    mut peer: impl AsyncWrite + Unpin,
) {
    use std::pin::Pin;
    use std::task::Context;
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let mut buf = [0u8; 32];
    for round in 0..20u8 {
        assert!(Pin::new(&mut *conn)
            .poll_read(&mut cx, &mut buf)
            .is_pending());
        assert!(Pin::new(&mut *conn)
            .poll_read(&mut cx, &mut buf)
            .is_pending());
        peer.write_all(&[round; 3]).await.unwrap();
        let n = conn.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], &[round; 3]);
    }
    drop(peer);
    assert_eq!(conn.read(&mut buf).await.unwrap(), 0);
}
