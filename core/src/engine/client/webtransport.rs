//! The client's WebTransport sessions, as engine.io-client 6.6's `WT` transport runs them:
//! once the bidirectional stream is open the client sends an `open` packet on it, without data
//! for a new session (the server answers with its handshake) or with `{"sid":"…"}` to upgrade
//! a polling session, followed by the usual probe (`2probe`, `3probe`, `5`). The stream's
//! bytes are decoded here ([`StreamDecoder`]); the frames are then taken as a WebSocket's.

use std::time::Instant;

use bytes::Bytes;

use super::{Client, CloseReason, IoId, State, Transmit, Transport};
use crate::engine::webtransport::StreamDecoder;
use crate::engine::{Packet, PROBE};
use crate::Str;

impl Client {
    /// WebTransport session `id` (asked for with [`Transmit::WtOpen`]) is established and its
    /// bidirectional stream open.
    pub fn handle_wt_open(&mut self, _now: Instant, id: IoId) {
        if self.state == State::Closed {
            return;
        }
        if let Transport::WebSocket { id: main, open } = &mut self.transport {
            if *main == id && self.wt.is_some() {
                *open = true;
                // The server answers this with the `open` handshake.
                let frame = Packet::Open(Str::default()).encode();
                self.transmits.push_back(Transmit::WsSend { id, frame });
                return;
            }
        }
        let Some(sid) = self.sid().cloned() else {
            return;
        };
        if let Some(p) = &mut self.probe {
            if p.id == id && p.wt.is_some() && !p.sent {
                p.sent = true;
                let open = Packet::Open(Str::from(format!(r#"{{"sid":"{sid}"}}"#)));
                self.transmits.push_back(Transmit::WsSend {
                    id,
                    frame: open.encode(),
                });
                self.transmits.push_back(Transmit::WsSend {
                    id,
                    frame: Packet::Ping(Str::from_static(PROBE)).encode(),
                });
            }
        }
    }

    /// Bytes arrived on WebTransport session `id`'s stream (in any chunks).
    pub fn handle_wt_data(&mut self, now: Instant, id: IoId, chunk: Bytes) {
        if let Some(d) = self.wt_decoder(id) {
            d.push(chunk);
        }
        while let Some(next) = self.wt_decoder(id).and_then(|d| d.next_frame()) {
            match next {
                Ok(frame) => self.handle_ws_message(now, id, frame),
                Err(_) if self.probe.as_ref().is_some_and(|p| p.id == id) => {
                    self.probe_failed("probe error")
                }
                Err(_) => self.fail(CloseReason::TransportError("parser error".into())),
            }
        }
    }

    /// The decoder of WebTransport session `id` while it is the open session's transport or
    /// probe.
    fn wt_decoder(&mut self, id: IoId) -> Option<&mut StreamDecoder> {
        if self.state == State::Closed {
            return None;
        }
        if let Transport::WebSocket { id: main, .. } = self.transport {
            if main == id {
                return self.wt.as_deref_mut();
            }
        }
        match &mut self.probe {
            Some(p) if p.id == id => p.wt.as_deref_mut(),
            _ => None,
        }
    }
}
