//! The server's connections on one edge-triggered epoll (Linux): [`Edge`], the registry, and
//! [`EdgeSource`], one connection's readiness.
//!
//! async-io arms each socket with a oneshot `epoll_ctl` every time a task waits for it: one
//! system call per wait, on top of async-io's own turn of the reactor. On a busy server that
//! is most of the waits there are: with 50 connections, 16 events in flight each and half of
//! them on long-polling, `perf` counted 0.15 `epoll_ctl` per message, and 0.85 per message
//! with one event in flight (where a turn of the reactor finds about 12 sockets ready).
//!
//! [`Edge`] registers each connection once, edge-triggered, in an epoll of its own, and keeps
//! that epoll's descriptor in async-io. A task of its own (the pump) waits for the epoll to
//! have something, takes every event with one non-blocking `epoll_wait` and wakes the
//! connections' tasks: a turn costs one `epoll_wait` and async-io's one re-arming, whatever
//! the number of sockets ready. Readiness is remembered per connection and per direction
//! (tokio's design): a read or write that is told "would block" clears it, unless an event
//! came in meanwhile (a tick counts them), and the next waits for the next edge. A read that
//! comes up short clears it too: the kernel had no more, and anything that comes later is a
//! new edge. The peer's end of the stream (or an error) is never cleared: it comes with the
//! data's edge when both arrive together, and is read only after the data.
//!
//! Nothing here knows the protocol; it is the smol driver's socket I/O.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::{AsFd, OwnedFd};
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{ready, Context, Poll, Waker};

use rustix::event::epoll;
use smol::io::{AsyncRead, AsyncWrite};
use smol::Async;

/// Events taken from the epoll per `epoll_wait` (more are taken by the next).
const BATCH: usize = 256;

/// The two directions a connection waits in.
const READ: usize = 0;
const WRITE: usize = 1;

/// The registry: one epoll for the connections of a server (see the module's docs). Cloning
/// shares it; its pump ends once the last clone and the last connection are gone.
#[derive(Clone)]
pub(crate) struct Edge {
    shared: Arc<Shared>,
}

struct Shared {
    /// The epoll, as async-io sees it (readable when an event waits in it).
    epoll: Async<OwnedFd>,
    slots: Mutex<Slots>,
    /// The pump's waker, woken when the registry is dropped (so that the pump ends).
    pump: Mutex<Option<Waker>>,
}

/// The registered connections, by index; an event names its connection by index and
/// generation, so a stale event for a reused slot finds nothing.
#[derive(Default)]
struct Slots {
    slots: Vec<Slot>,
    free: Vec<u32>,
}

#[derive(Default)]
struct Slot {
    generation: u32,
    source: Option<Arc<Readiness>>,
}

/// One connection's readiness, per direction.
#[derive(Default)]
struct Readiness {
    dirs: Mutex<[Direction; 2]>,
}

#[derive(Default)]
struct Direction {
    /// An event said so, and no "would block" came since.
    ready: bool,
    /// The peer closed this direction, or the socket failed: never cleared (the end of the
    /// stream, or the error, is still to be read after the data, and no edge will come).
    closed: bool,
    /// Counts the events, so that clearing after a "would block" keeps one that came during
    /// the system call.
    tick: u32,
    /// The task waiting for the next edge.
    waker: Option<Waker>,
}

impl std::fmt::Debug for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edge").finish_non_exhaustive()
    }
}

impl Edge {
    /// A registry and its pump, spawned with `spawn`.
    pub(crate) fn new(spawn: impl FnOnce(Pump)) -> io::Result<Edge> {
        let fd = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        let shared = Arc::new(Shared {
            epoll: Async::new(fd)?,
            slots: Mutex::new(Slots::default()),
            pump: Mutex::new(None),
        });
        spawn(Pump {
            shared: Arc::downgrade(&shared),
        });
        Ok(Edge { shared })
    }

    /// Registers `stream` (set non-blocking here): its reads and writes wait on this registry.
    pub(crate) fn register(&self, stream: TcpStream) -> io::Result<EdgeSource> {
        stream.set_nonblocking(true)?;
        let readiness = Arc::new(Readiness::default());
        // Both directions start ready: the first read and write try the kernel.
        for d in lock(&readiness.dirs).iter_mut() {
            d.ready = true;
        }
        let key = {
            let mut s = lock(&self.shared.slots);
            let index = match s.free.pop() {
                Some(i) => i,
                None => {
                    s.slots.push(Slot::default());
                    (s.slots.len() - 1) as u32
                }
            };
            let slot = &mut s.slots[index as usize];
            slot.source = Some(readiness.clone());
            u64::from(slot.generation) << 32 | u64::from(index)
        };
        let flags = epoll::EventFlags::IN
            | epoll::EventFlags::OUT
            | epoll::EventFlags::RDHUP
            | epoll::EventFlags::ET;
        if let Err(e) = epoll::add(
            self.shared.epoll.get_ref(),
            &stream,
            epoll::EventData::new_u64(key),
            flags,
        ) {
            self.shared.release(key);
            return Err(e.into());
        }
        Ok(EdgeSource {
            stream,
            readiness,
            key,
            edge: self.clone(),
        })
    }
}

impl Shared {
    /// Frees the slot of `key`.
    fn release(&self, key: u64) {
        let mut s = lock(&self.slots);
        let index = key as u32;
        if let Some(slot) = s.slots.get_mut(index as usize) {
            if u64::from(slot.generation) == key >> 32 && slot.source.take().is_some() {
                slot.generation = slot.generation.wrapping_add(1);
                s.free.push(index);
            }
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some(w) = lock(&self.pump).take() {
            w.wake();
        }
    }
}

/// Locks, whatever a panic elsewhere left (the data stays consistent: every change is one
/// assignment).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The task that hands the epoll's events to the connections (see the module's docs).
pub(crate) struct Pump {
    shared: Weak<Shared>,
}

thread_local! {
    /// Where the pump takes events (a thread's: an epoll event is not `Send`, and a turn never
    /// waits while it holds them).
    static EVENTS: std::cell::RefCell<Vec<epoll::Event>> =
        std::cell::RefCell::new(Vec::with_capacity(BATCH));
}

impl Pump {
    /// Runs until the registry is gone.
    pub(crate) async fn run(mut self) {
        std::future::poll_fn(|cx| self.poll_turn(cx)).await;
    }

    /// Waits for events and hands them over; `Ready` once the registry is gone (or its epoll
    /// failed, which leaves the connections to their write timeouts and the heartbeat).
    fn poll_turn(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let Some(shared) = self.shared.upgrade() else {
                return Poll::Ready(());
            };
            {
                let mut pump = lock(&shared.pump);
                if !pump.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    *pump = Some(cx.waker().clone());
                }
            }
            match shared.epoll.poll_readable(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => {
                    tracing::error!(error = %e, "sio-smol: the connections' epoll failed");
                    return Poll::Ready(());
                }
                Poll::Ready(Ok(())) => {}
            }
            if let Err(e) = EVENTS.with(|events| match events.try_borrow_mut() {
                Ok(mut events) => shared.take_events(&mut events),
                Err(_) => shared.take_events(&mut Vec::with_capacity(BATCH)),
            }) {
                tracing::error!(error = %e, "sio-smol: the connections' epoll failed");
                return Poll::Ready(());
            }
        }
    }
}

impl Shared {
    /// Takes every event waiting in the epoll (without waiting) and hands them over.
    fn take_events(&self, events: &mut Vec<epoll::Event>) -> io::Result<()> {
        loop {
            events.clear();
            let now = rustix::time::Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            match epoll::wait(
                self.epoll.get_ref(),
                rustix::buffer::spare_capacity(events),
                Some(&now),
            ) {
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            }
            self.deliver(events);
            if events.len() < BATCH {
                return Ok(());
            }
        }
    }

    /// Marks the connections of `events` ready and wakes their tasks.
    fn deliver(&self, events: &[epoll::Event]) {
        use epoll::EventFlags as F;
        // Per direction: what makes it ready, and what closes it.
        let read = (
            F::IN | F::PRI | F::RDHUP | F::HUP | F::ERR,
            F::RDHUP | F::HUP | F::ERR,
        );
        let write = (F::OUT | F::HUP | F::ERR, F::HUP | F::ERR);
        let slots = lock(&self.slots);
        for ev in events {
            let (flags, key) = (ev.flags, ev.data.u64());
            let Some(slot) = slots.slots.get(key as u32 as usize) else {
                continue;
            };
            let Some(source) = slot
                .source
                .as_ref()
                .filter(|_| u64::from(slot.generation) == key >> 32)
            else {
                continue;
            };
            let mut dirs = lock(&source.dirs);
            for (dir, (mask, closing)) in [(READ, read), (WRITE, write)] {
                if flags.intersects(mask) {
                    let d = &mut dirs[dir];
                    d.ready = true;
                    d.closed |= flags.intersects(closing);
                    d.tick = d.tick.wrapping_add(1);
                    if let Some(w) = d.waker.take() {
                        w.wake();
                    }
                }
            }
        }
    }
}

/// A connection registered in an [`Edge`]: reads and writes it without async-io's per-wait
/// re-arming. Dropping it removes it from the epoll and closes it.
pub(crate) struct EdgeSource {
    stream: TcpStream,
    readiness: Arc<Readiness>,
    key: u64,
    edge: Edge,
}

impl std::fmt::Debug for EdgeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeSource")
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}

impl EdgeSource {
    /// The tick of `dir`'s readiness if it is ready; otherwise registers the task for its next
    /// edge.
    fn poll_ready(&self, dir: usize, cx: &mut Context<'_>) -> Poll<u32> {
        let mut dirs = lock(&self.readiness.dirs);
        let d = &mut dirs[dir];
        if d.ready || d.closed {
            return Poll::Ready(d.tick);
        }
        match &d.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => d.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// The kernel has nothing more in `dir` as of `tick`: wait for the next edge (unless one
    /// came meanwhile). `would_block`: the kernel said so (then not even the end of the stream
    /// is waiting); otherwise a read came up short (the end may still be).
    fn clear(&self, dir: usize, tick: u32, would_block: bool) {
        let mut dirs = lock(&self.readiness.dirs);
        let d = &mut dirs[dir];
        if d.tick == tick {
            d.ready = false;
            d.closed &= !would_block;
        }
    }

    /// Writes with `write` once the socket is (or may be) writable.
    fn poll_write_with(
        &self,
        cx: &mut Context<'_>,
        mut write: impl FnMut(&TcpStream) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            let tick = ready!(self.poll_ready(WRITE, cx));
            match write(&self.stream) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear(WRITE, tick, true),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => return Poll::Ready(other),
            }
        }
    }
}

impl Drop for EdgeSource {
    fn drop(&mut self) {
        let _ = epoll::delete(self.edge.shared.epoll.get_ref(), self.stream.as_fd());
        self.edge.shared.release(self.key);
    }
}

impl AsyncRead for EdgeSource {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            let tick = ready!(self.poll_ready(READ, cx));
            match (&self.stream).read(buf) {
                Ok(n) => {
                    if n > 0 && n < buf.len() {
                        self.clear(READ, tick, false);
                    }
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear(READ, tick, true),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for EdgeSource {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_with(cx, |mut s| s.write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_with(cx, |mut s| s.write_vectored(bufs))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.stream.shutdown(Shutdown::Write))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smol::io::{AsyncReadExt, AsyncWriteExt};

    /// A registry whose pump runs on smol's global executor, and a connection to a peer.
    async fn pair(edge: &Edge) -> (EdgeSource, smol::net::TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = smol::net::TcpStream::connect(addr).await.unwrap();
        let (stream, _) = listener.accept().unwrap();
        (edge.register(stream).unwrap(), peer)
    }

    fn registry() -> (Edge, smol::Task<()>) {
        let mut pump = None;
        let edge = Edge::new(|p| pump = Some(smol::spawn(p.run()))).unwrap();
        (edge, pump.unwrap())
    }

    /// Messages written in pieces, with pauses (so reads come up short and then wait for the
    /// next edge), all arrive in order; the end of the stream is seen.
    #[test]
    fn short_reads_then_edges_lose_nothing() {
        smol::block_on(async {
            let (edge, _pump) = registry();
            let (mut conn, peer) = pair(&edge).await;
            let writer = smol::spawn(crate::test_io::write_in_pieces(peer, 60));
            let got = crate::test_io::read_all_in_small_reads(&mut conn).await;
            writer.await;
            let want = crate::test_io::pieces(60);
            assert_eq!(got, want);
        });
    }

    /// A read told to wait is woken by the data that comes next, round after round, with
    /// polls that find nothing in between.
    #[test]
    fn a_waiting_read_is_woken_by_the_next_data() {
        smol::block_on(async {
            let (edge, _pump) = registry();
            let (mut conn, peer) = pair(&edge).await;
            crate::test_io::waits_then_reads_each_round(&mut conn, peer).await;
        });
    }

    /// A writer that fills the kernel's buffers waits, and is woken as the peer reads: every
    /// byte arrives, in order.
    #[test]
    fn a_full_socket_waits_for_room_and_loses_nothing() {
        smol::block_on(async {
            let (edge, _pump) = registry();
            let (mut conn, mut peer) = pair(&edge).await;
            let data: Vec<u8> = (0..8 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
            let want = data.clone();
            let writer = smol::spawn(async move {
                conn.write_all(&data).await.unwrap();
                conn.close().await.unwrap();
                conn
            });
            // Let the writer fill the buffers before reading anything.
            smol::Timer::after(std::time::Duration::from_millis(50)).await;
            let mut got = Vec::new();
            peer.read_to_end(&mut got).await.unwrap();
            assert_eq!(got.len(), want.len());
            assert!(got == want);
            drop(writer.await);
        });
    }

    /// Many connections on one registry, each echoing: every one gets its answers (the pump
    /// hands out the events of many sockets per turn).
    #[test]
    fn many_connections_share_one_pump() {
        smol::block_on(async {
            let (edge, _pump) = registry();
            let mut peers = Vec::new();
            let mut tasks = Vec::new();
            for _ in 0..40 {
                let (mut conn, peer) = pair(&edge).await;
                tasks.push(smol::spawn(async move {
                    let mut buf = [0u8; 256];
                    loop {
                        let n = conn.read(&mut buf).await.unwrap();
                        if n == 0 {
                            return;
                        }
                        conn.write_all(&buf[..n]).await.unwrap();
                    }
                }));
                peers.push(peer);
            }
            for round in 0..10u8 {
                for (i, p) in peers.iter_mut().enumerate() {
                    p.write_all(&[round, i as u8]).await.unwrap();
                }
                for (i, p) in peers.iter_mut().enumerate() {
                    let mut b = [0u8; 2];
                    p.read_exact(&mut b).await.unwrap();
                    assert_eq!(b, [round, i as u8]);
                }
            }
            drop(peers);
            for t in tasks {
                t.await;
            }
        });
    }

    /// The pump ends once the registry and its connections are gone; a dropped connection
    /// frees its slot for the next.
    #[test]
    fn the_pump_ends_with_the_registry() {
        smol::block_on(async {
            let (edge, pump) = registry();
            let (conn, _peer) = pair(&edge).await;
            let key = conn.key;
            drop(conn);
            let (conn, _peer2) = pair(&edge).await;
            assert_eq!(conn.key as u32, key as u32, "the slot is reused");
            assert_ne!(conn.key >> 32, key >> 32, "with a new generation");
            drop(edge);
            // A connection still holds the registry: the pump goes on.
            smol::Timer::after(std::time::Duration::from_millis(20)).await;
            assert!(!pump.is_finished());
            drop(conn);
            smol::future::or(pump, async {
                smol::Timer::after(std::time::Duration::from_secs(5)).await;
                panic!("the pump did not end");
            })
            .await;
        });
    }
}
