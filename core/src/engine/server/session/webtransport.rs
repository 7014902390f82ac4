//! A session's WebTransport streams: a handshake or an upgrade probe arrives on one, and its
//! bytes are decoded into frames here ([`StreamDecoder`]) before the session takes them as it
//! takes a WebSocket's messages. Only the framing differs: heartbeat, probe, upgrade,
//! backpressure and close are the WebSocket's.

use std::time::Instant;

use bytes::Bytes;

use super::{Active, CloseReason, Outbox, Release, ServerConfig, Session, Transport};
use crate::engine::server::TransportId;
use crate::engine::webtransport::StreamDecoder;
use crate::Str;

impl Session {
    /// A session whose handshake (an `open` packet without data) came on WebTransport stream
    /// `id`; `decoder` holds what followed it on the stream.
    pub(crate) fn open_webtransport(
        now: Instant,
        sid: Str,
        id: TransportId,
        decoder: Box<StreamDecoder>,
        transport: Transport,
        cfg: &ServerConfig,
        out: &mut Outbox,
    ) -> Self {
        let mut s = Session::new(now, sid, Active::WebSocket(id), transport, cfg);
        s.wt = Some(decoder);
        out.bindings.insert(id, s.sid.clone());
        s.send_open(Vec::new(), cfg, out);
        s
    }

    /// WebTransport stream `id` opened with this session's sid (`0{"sid":"…"}`): probe it for
    /// an upgrade, as a WebSocket (refused the same way when another transport is already
    /// probing or the session was upgraded).
    pub(crate) fn handle_wt_probe_open(
        &mut self,
        now: Instant,
        id: TransportId,
        decoder: Box<StreamDecoder>,
        cfg: &ServerConfig,
        out: &mut Outbox,
    ) {
        self.handle_probe_open(now, id, true, cfg, out);
        if self.probe == Some(id) {
            self.probe_wt = Some(decoder);
        }
    }

    /// Bytes arrived on one of this session's WebTransport streams.
    pub(crate) fn handle_wt_data(
        &mut self,
        now: Instant,
        id: TransportId,
        chunk: Bytes,
        cfg: &ServerConfig,
        out: &mut Outbox,
    ) {
        if let Some(d) = self.wt_decoder(id) {
            d.push(chunk);
        }
        self.drain_wt(now, id, cfg, out);
    }

    /// Takes the frames decoded on stream `id`, one at a time, for as long as the stream is
    /// still this session's (a frame may complete the upgrade, or close the session).
    pub(crate) fn drain_wt(
        &mut self,
        now: Instant,
        id: TransportId,
        cfg: &ServerConfig,
        out: &mut Outbox,
    ) {
        while let Some(next) = self.wt_decoder(id).and_then(|d| d.next_frame()) {
            match next {
                Ok(frame) => self.handle_ws_frame(now, id, frame, cfg, out),
                // The reference's decoder hands its transport an error packet: a probe is
                // abandoned, the session closes with "parse error".
                Err(_) if self.probe == Some(id) => self.abort_probe(out),
                Err(_) => self.close(CloseReason::ParseError, Release::Close, out),
            }
        }
    }

    /// The decoder of stream `id` while it is this open session's probe or active transport.
    fn wt_decoder(&mut self, id: TransportId) -> Option<&mut StreamDecoder> {
        if self.closed {
            return None;
        }
        if self.probe == Some(id) {
            return self.probe_wt.as_deref_mut();
        }
        match self.active {
            Active::WebSocket(active) if active == id => self.wt.as_deref_mut(),
            _ => None,
        }
    }
}
