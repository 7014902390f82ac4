//! The invariants: after every step the harness's record and the machines agree, and at the
//! end of an input nothing is left behind.

use super::*;

impl Harness {
    /// After every step: the harness's record and the machines agree.
    pub(in crate::fuzzing::server_session) fn check(&mut self) {
        assert!(self.disconnecting.is_empty(), "a socket left half-way");
        assert_eq!(self.engine.session_count(), self.open_sids.len());
        assert_eq!(self.sio.connection_count(), self.sio_conns.len());
        for (sid, ()) in self.sio_conns.iter() {
            assert!(
                self.open_sids.contains(sid),
                "SocketServer has a closed session"
            );
        }
        for (_, (socket, nsp)) in self.live.iter() {
            assert!(self.sio.is_connected(socket), "{socket:?} not connected");
            assert_eq!(self.sio.namespace_of(socket), Some(nsp));
            let sid = self.sio.engine_sid(socket).expect("a socket has a session");
            assert!(
                self.sio_conns.contains(&Key::of(sid)) && self.engine.transport_of(sid).is_some(),
                "{socket:?} is connected on closed session {sid:?}"
            );
        }
        // Bounded queues: what waits for a client stays within its limit, stretched by one
        // packet at most (the server's own packets and the harness's emits are all smaller
        // than the payload limit's few multiples).
        let bound = self.engine.config().max_buffered_bytes + 8 * super::super::MAX_PAYLOAD;
        for sid in &self.sids {
            if let Some(queued) = self.engine.buffered(sid) {
                assert!(queued <= bound, "{queued} bytes queued for {sid:?}");
            }
        }
        let counted: usize = self
            .namespaces
            .iter()
            .map(|n| self.sio.socket_count(n))
            .sum();
        assert_eq!(counted, self.live.len(), "sockets the server counts");
        // A session the SocketServer forgot keeps no socket (checked once, when forgotten:
        // only `handle_engine_open` makes connections, so none can come back later).
        for sid in self.forgotten.drain(..) {
            assert!(self.sio.sockets_of_connection(&sid).is_empty());
        }
    }

    /// The end of the input: shut down, let every deadline pass, and check that nothing is
    /// left — every request answered, every WebSocket closed, every ack with an outcome, and
    /// no timer armed.
    pub(in crate::fuzzing::server_session) fn finish(&mut self, consumed: usize) -> Reach {
        self.trace(|| "finish: shutdown, then a day passes".to_owned());
        self.begin(consumed);
        self.finishing = true;
        self.engine.shutdown();
        self.settle();
        self.now += std::time::Duration::from_secs(24 * 3600);
        self.fire();
        self.check();
        for (id, io) in &self.io {
            assert!(
                matches!(io, Io::Answered | Io::Aborted | Io::Refused | Io::Closed),
                "{id:?} left {io:?} after shutdown"
            );
        }
        assert!(self.open_sids.is_empty() && self.sio_conns.is_empty());
        assert!(self.live.is_empty(), "sockets left after shutdown");
        assert!(
            self.acks.is_empty(),
            "acks without an outcome: {:?}",
            self.acks
        );
        assert!(self.broadcast_acks.is_empty(), "broadcast acks not done");
        assert_eq!(self.deadline(), None, "a timer armed after shutdown");
        self.reach
    }
}
