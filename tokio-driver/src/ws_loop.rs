//! The WebSocket loop both drivers run (compiled by each through `#[path]`): frames in to
//! the core, frames out from the core. Runtime-independent: it only polls.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use async_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use async_tungstenite::tungstenite::protocol::frame::Frame as WsFrame;
use async_tungstenite::tungstenite::{Error, Message};
use async_tungstenite::WebSocketStream;
use bytes::Bytes;
use futures_util::task::AtomicWaker;
use futures_util::{AsyncRead, AsyncWrite, SinkExt, StreamExt};
use sio_core::api::{EngineIo, WsOutgoing};
use sio_core::engine::server::TransportId;
use sio_core::engine::Frame;
use sio_core::Str;

/// What the WebSocket task does next.
enum Step {
    /// Messages from the client were read (into the batch), or the stream ended.
    Incoming,
    /// What the core wants written.
    Outgoing(WsOutgoing),
}

/// Most messages read before the core gets them (and the answers are written).
const MAX_BATCH: usize = 64;

/// A received message as a frame for the core: `Ok(None)` for control frames, `Err` when the
/// WebSocket ended or failed.
fn to_frame(incoming: Option<Result<Message, Error>>) -> Result<Option<Frame>, ()> {
    match incoming {
        // tungstenite validated the text: a view of the same buffer skips validating it twice.
        Some(Ok(Message::Text(t))) => {
            match Str::from_utf8_viewed(Bytes::from(t.clone()), t.as_str()) {
                Ok(s) => Ok(Some(Frame::Text(s))),
                Err(_) => Err(()),
            }
        }
        Some(Ok(Message::Binary(b))) => Ok(Some(Frame::Binary(b))),
        Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => Ok(None),
        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => Err(()),
    }
}

/// The waker handed to the read side: it notes that the socket may have become readable
/// before it wakes the task. A task woken only to write (a broadcast) then skips polling the
/// reader, which costs tungstenite a buffer fill and a waker registration each time.
struct ReadWake {
    /// The reader may make progress: it has not returned `Pending` since its last wake-up.
    ready: AtomicBool,
    task: AtomicWaker,
}

impl Wake for ReadWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.ready.store(true, Ordering::Release);
        self.task.wake();
    }
}

/// Runs WebSocket `id` until it closes.
///
/// Every message already received is read before the core gets them, all under one lock; the
/// handlers they trigger run then, and their answers are written together with one flush
/// (16 requests in flight cost one write, not 16).
pub(crate) async fn drive<S>(io: EngineIo, id: TransportId, ws: WebSocketStream<S>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let outbox = io.ws_open(crate::now(), id);
    let (mut sink, mut stream) = ws.split();
    let mut batch: Vec<Frame> = Vec::new();
    let mut ended = false;
    // After reading, write first (the answers); after writing, read first.
    let mut outgoing_first = false;
    let read_wake = Arc::new(ReadWake {
        ready: AtomicBool::new(true),
        task: AtomicWaker::new(),
    });
    let read_waker = Waker::from(read_wake.clone());
    loop {
        let step = poll_fn(|cx| {
            if outgoing_first {
                if let Poll::Ready(out) = outbox.poll_take(cx) {
                    return Poll::Ready(Step::Outgoing(out));
                }
            }
            // Cleared before polling: a wake-up during the poll sets it again.
            if read_wake.ready.swap(false, Ordering::Acquire) {
                // Registered only here: until the reader is polled again, the task's waker
                // (the same for the task's whole life: this future is a task's root) stays.
                read_wake.task.register(cx.waker());
                let mut read_cx = Context::from_waker(&read_waker);
                while batch.len() < MAX_BATCH && !ended {
                    match stream.poll_next_unpin(&mut read_cx) {
                        Poll::Ready(incoming) => match to_frame(incoming) {
                            Ok(Some(frame)) => batch.push(frame),
                            Ok(None) => {}
                            Err(()) => ended = true,
                        },
                        Poll::Pending => break,
                    }
                }
                if batch.len() == MAX_BATCH {
                    // Stopped early: more may be waiting.
                    read_wake.ready.store(true, Ordering::Relaxed);
                }
            }
            if !batch.is_empty() || ended {
                return Poll::Ready(Step::Incoming);
            }
            if !outgoing_first {
                if let Poll::Ready(out) = outbox.poll_take(cx) {
                    return Poll::Ready(Step::Outgoing(out));
                }
            }
            Poll::Pending
        })
        .await;
        outbox.awake();
        match step {
            Step::Incoming => {
                if !batch.is_empty() {
                    // Taken, not drained: an idle connection keeps no batch buffer.
                    io.ws_messages(crate::now(), id, std::mem::take(&mut batch));
                }
                if ended {
                    break;
                }
                outgoing_first = true;
            }
            Step::Outgoing(WsOutgoing::Frames(frames)) => {
                let mut failed = false;
                for frame in frames {
                    let msg = match frame {
                        // The same frame tungstenite makes of a `Message::Text`, without
                        // checking the UTF-8 a `Str` already guarantees (per recipient of a
                        // broadcast).
                        Frame::Text(t) => Message::Frame(WsFrame::message(
                            t.into_bytes(),
                            OpCode::Data(Data::Text),
                            true,
                        )),
                        Frame::Binary(b) => Message::Binary(b),
                    };
                    if sink.feed(msg).await.is_err() {
                        failed = true;
                        break;
                    }
                }
                if failed || sink.flush().await.is_err() {
                    break;
                }
                outgoing_first = false;
            }
            Step::Outgoing(WsOutgoing::Close) => {
                let _ = SinkExt::close(&mut sink).await;
                return;
            }
        }
    }
    io.ws_closed(crate::now(), id);
}
