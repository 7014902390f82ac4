//! WebTransport sessions on the Engine.IO server, as engine.io 6.6's `onWebTransportSession`
//! takes them: the client opens one bidirectional stream and sends an `open` packet on it.
//! Without data it is a handshake (a new session on WebTransport, answered with the `open`
//! document); with `{"sid":"…"}` it asks to upgrade that polling session (probed as a
//! WebSocket is: `2probe`, `3probe`, `5`). Anything else, or nothing within
//! `upgrade_timeout`, closes the WebTransport session.
//!
//! The driver does the QUIC and HTTP/3 part: it accepts the session's CONNECT request on the
//! server's path and reads the first bidirectional stream, handing its bytes to
//! [`Server::handle_wt_data`] under the id it gave [`Server::handle_wt_open`]. From then on the
//! id is used as a WebSocket's: the stream's frames come as [`Transmit::WsFrame`] (written as
//! [`webtransport::chunks`](crate::engine::webtransport::chunks)), [`Transmit::CloseWs`] closes
//! the WebTransport session once they are written, [`Transmit::AbortWs`] drops it, and
//! [`Transmit::PauseRead`]/`ResumeRead` stop and resume reading the stream; the driver reports
//! writes with [`Server::handle_ws_written`] and the end with [`Server::handle_ws_closed`].

use std::time::Instant;

use bytes::Bytes;

use super::session::{Session, Transport};
#[cfg(doc)]
use super::Transmit;
use super::{Peer, Request, Server, TransportId, TransportKind};
use crate::engine::webtransport::StreamDecoder;
use crate::engine::{Packet, Protocol};

/// A WebTransport session whose first packet has not arrived yet.
#[derive(Debug)]
pub(super) struct PendingWt {
    decoder: Box<StreamDecoder>,
    deadline: Instant,
    /// The CONNECT request's query pairs, origin, headers and peer.
    query: Vec<(String, String)>,
    origin: Option<String>,
    headers: Vec<(String, String)>,
    remote_address: Option<String>,
}

impl Server {
    /// A WebTransport session was established by the CONNECT request `req` (its `:path` split
    /// into `path` and `query`, its origin, headers and peer; `secure` is implied), and the
    /// driver reads its first bidirectional stream under `id`.
    ///
    /// A session on another path, on a server without [`Transports::webtransport`], or refused
    /// by [`allow_request`](super::ServerConfig::allow_request) is closed at once
    /// ([`Transmit::CloseWs`]); so is one whose first packet does not arrive within
    /// `upgrade_timeout`.
    ///
    /// [`Transports::webtransport`]: super::Transports::webtransport
    pub fn handle_wt_open(&mut self, now: Instant, id: TransportId, req: Request) {
        self.out.now = Some(now);
        let allowed = self.config.transports.webtransport
            && self.handles_path(&req.path)
            // The reference asks nothing of WebTransport sessions (engine middlewares make it
            // close them all); sio applies the application's filter to their CONNECT request,
            // so a WebTransport client cannot pass by a check its HTTP requests must pass.
            && self.config.allow_request.as_ref().is_none_or(|f| f(&req).is_ok());
        if !allowed {
            self.out.close_ws(id);
            return;
        }
        let deadline = now + self.config.upgrade_timeout;
        let pending = PendingWt {
            decoder: Box::new(StreamDecoder::new(self.config.max_payload)),
            deadline,
            query: req.query_pairs(),
            origin: req.origin,
            headers: req.headers,
            remote_address: req.remote_address,
        };
        self.pending_wt.insert(id, pending);
        self.wt_deadlines.push_back((deadline, id));
    }

    /// Bytes arrived on WebTransport stream `id` (in any chunks: the core finds the packets).
    pub fn handle_wt_data(&mut self, now: Instant, id: TransportId, chunk: Bytes) {
        self.out.now = Some(now);
        if let Some(p) = self.pending_wt.get_mut(&id) {
            p.decoder.push(chunk);
            self.wt_first_packet(now, id);
            return;
        }
        let Some(key) = self.out.bindings.get(&id).map(|s| s.bytes().clone()) else {
            return;
        };
        if let Some(s) = self.sessions.get_mut(&key) {
            s.handle_wt_data(now, id, chunk, &self.config, &mut self.out);
        }
        self.settle(&key);
    }

    /// Takes the first packet of pending stream `id` once it is whole: a handshake, an
    /// upgrade, or a refusal.
    fn wt_first_packet(&mut self, now: Instant, id: TransportId) {
        let Some(first) = self
            .pending_wt
            .get_mut(&id)
            .and_then(|p| p.decoder.next_frame())
        else {
            return;
        };
        let Some(pending) = self.pending_wt.remove(&id) else {
            return;
        };
        let open = match first.map(Packet::decode_frame) {
            Ok(Ok(Packet::Open(data))) => data,
            // "invalid WebTransport handshake".
            _ => return self.out.close_ws(id),
        };
        if open.is_empty() {
            return self.wt_handshake(now, id, pending);
        }
        // An upgrade: the reference reads `JSON.parse(data).sid`, a string.
        let sid = serde_json::from_str::<serde_json::Value>(open.as_str())
            .ok()
            .and_then(|v| v.get("sid")?.as_str().map(str::to_owned));
        let key = match sid {
            Some(sid) => Bytes::from(sid),
            None => return self.out.close_ws(id),
        };
        match self.sessions.get_mut(&key) {
            // Engine.IO v3 clients know no WebTransport.
            Some(s) if s.protocol() == Protocol::V4 => {
                s.handle_wt_probe_open(now, id, pending.decoder, &self.config, &mut self.out);
                s.drain_wt(now, id, &self.config, &mut self.out);
            }
            _ => self.out.close_ws(id),
        }
        self.settle(&key);
    }

    /// A new session on WebTransport stream `id`: `open` goes back on the stream, and what
    /// the client sent after its own `open` is taken.
    fn wt_handshake(&mut self, now: Instant, id: TransportId, pending: PendingWt) {
        let sid = self.new_sid();
        let transport = Transport {
            protocol: Protocol::V4,
            binary: true,
        };
        let session = Session::open_webtransport(
            now,
            sid.clone(),
            id,
            pending.decoder,
            transport,
            &self.config,
            &mut self.out,
        );
        let peer = Peer {
            origin: pending.origin,
            headers: pending.headers,
            remote_address: pending.remote_address,
            secure: true,
        };
        let key = sid.bytes().clone();
        self.opened(
            sid,
            session,
            TransportKind::WebTransport,
            Protocol::V4,
            pending.query,
            peer,
        );
        if let Some(s) = self.sessions.get_mut(&key) {
            s.drain_wt(now, id, &self.config, &mut self.out);
        }
        self.settle(&key);
    }

    /// Closes the pending WebTransport sessions whose first packet is overdue.
    pub(super) fn expire_pending_wt(&mut self, now: Instant) {
        while let Some(&(at, id)) = self.wt_deadlines.front() {
            if at > now {
                break;
            }
            self.wt_deadlines.pop_front();
            if self.pending_wt.get(&id).is_some_and(|p| p.deadline == at) {
                self.pending_wt.remove(&id);
                self.out.close_ws(id);
            }
        }
    }

    /// The earliest deadline of a pending WebTransport session (dropping entries of those
    /// that are no longer pending).
    pub(super) fn next_pending_wt(&mut self) -> Option<Instant> {
        while let Some(&(at, id)) = self.wt_deadlines.front() {
            if self.pending_wt.get(&id).is_some_and(|p| p.deadline == at) {
                return Some(at);
            }
            self.wt_deadlines.pop_front();
        }
        None
    }
}
