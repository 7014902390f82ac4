//! One Engine.IO session: its transport, write buffer, upgrade and heartbeat.
//!
//! The [`Server`](super::Server) routes requests and WebSocket messages here by sid and owns
//! the output queues ([`Outbox`]); a session only ever writes to them.
//!
//! A session speaks one protocol revision for its life ([`Protocol`]). What v3 changes here:
//! the heartbeat runs the other way (the client pings, the session answers `pong` and closes
//! with "ping timeout" after `ping_interval + ping_timeout` without a ping), polling bodies
//! are framed by [`v3`] (binary payloads for clients that support them), and frames use v3's
//! binary form. The upgrade and everything else are the same.
//!
//! Beside it: `outbox` (the server's output queues), `polling_answer` (a parked GET answered),
//! `backpressure` (what is queued, and the limits on it), `webtransport` (its stream's input).

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;

use super::request::Headers;
use super::timer::{Timer, TimerTable};
use super::{
    CloseReason, Event, Request, Response, ServerConfig, Transmit, TransportId, TransportKind,
};
use crate::compress::http::{BodyEncoding, ContentEncoding};
use crate::engine::webtransport::StreamDecoder;
use crate::engine::{encode_payload, v3, Frame, Packet, PayloadDecoder, Protocol, PROBE};
use crate::Str;

mod backpressure;
mod outbox;
mod polling_answer;
mod webtransport;

pub use backpressure::{queued_size, FRAME_OVERHEAD};
pub(crate) use outbox::Outbox;

/// A long-poll GET waiting for something to send.
#[derive(Debug)]
pub(crate) struct ParkedGet {
    pub(crate) id: TransportId,
    /// The CORS headers computed for that request.
    pub(crate) headers: Headers,
    /// How its answer may be compressed (from its `Accept-Encoding`).
    pub(crate) encoding: Option<ContentEncoding>,
}

/// A POST held while the session's reading is paused: answered (and its packets taken) on
/// resume, as a paused WebSocket is read again.
#[derive(Debug)]
struct ParkedPost {
    id: TransportId,
    body: Bytes,
    /// A v3 binary payload (`Content-Type: application/octet-stream`).
    binary: bool,
    headers: Headers,
}

/// What a session's (or a probing WebSocket's) request asked for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Transport {
    /// The protocol revision (the whole session's).
    pub(crate) protocol: Protocol,
    /// v3: the transport takes binary (XHR2 payloads, binary WebSocket frames); a client
    /// that sent `b64=1` gets base64 instead. Unused for v4.
    pub(crate) binary: bool,
}

#[derive(Debug)]
enum Active {
    Polling { get: Option<ParkedGet> },
    WebSocket(TransportId),
}

/// What a parked GET is released with when the session closes.
#[derive(Debug, Clone, Copy)]
enum Release {
    Close,
    Noop,
}

#[derive(Debug)]
pub(crate) struct Session {
    sid: Str,
    active: Active,
    protocol: Protocol,
    /// v3: the active transport takes binary (see [`Transport::binary`]).
    binary: bool,
    /// v3: the probing WebSocket takes binary.
    probe_binary: bool,
    buffer: VecDeque<Frame>,
    /// The WebSocket (or WebTransport stream) probing for an upgrade.
    probe: Option<TransportId>,
    /// The active transport is a WebTransport stream (not a WebSocket): its decoder. Boxed:
    /// sessions on other transports pay a pointer for it.
    wt: Option<Box<StreamDecoder>>,
    /// The probe is a WebTransport stream: its decoder.
    probe_wt: Option<Box<StreamDecoder>>,
    /// A forced close waits for the buffer to drain through the next GET.
    closing: bool,
    closed: bool,
    /// What is queued for the client, in [`queued_size`] units: the buffer, plus the frames
    /// handed to the active WebSocket that the driver has not reported written.
    queued: usize,
    /// Half of `max_buffered_bytes`: above it volatile packets are dropped, and coming back
    /// under it is reported ([`Event::Drained`]).
    high_water: usize,
    /// The size of a packet larger than what was left of the limit, taken because the queue
    /// was at most half full: the limit stretches by as much until the queue is back to half
    /// (so what follows it, a ping or a small event, still fits behind it).
    oversize: usize,
    /// The application is behind: the client's transport is not read (a POST waits in
    /// `parked_post`, a WebSocket is told to pause) and the pong deadline is suspended.
    paused: bool,
    /// Boxed: an idle session pays a pointer for it.
    parked_post: Option<Box<ParkedPost>>,
    /// A ping was sent and its pong has not come.
    awaiting_pong: bool,
    timers: TimerTable,
    /// The deadline last pushed to the server's heap (see `Server::rearm`).
    pub(crate) armed: Option<Instant>,
}

impl Session {
    /// A session whose handshake came as the long-poll GET `get`; answers it with `open`.
    pub(crate) fn open_polling(
        now: Instant,
        sid: Str,
        get: ParkedGet,
        transport: Transport,
        cfg: &ServerConfig,
        out: &mut Outbox,
    ) -> Self {
        out.bindings.insert(get.id, sid.clone());
        let mut s = Session::new(now, sid, Active::Polling { get: None }, transport, cfg);
        s.send_open(cfg.upgrades(), cfg, out);
        s.active = Active::Polling { get: Some(get) };
        s.flush(out);
        s
    }

    /// A session whose handshake came over the (just opened) WebSocket `ws`.
    pub(crate) fn open_websocket(
        now: Instant,
        sid: Str,
        ws: TransportId,
        transport: Transport,
        cfg: &ServerConfig,
        out: &mut Outbox,
    ) -> Self {
        out.bindings.insert(ws, sid.clone());
        let mut s = Session::new(now, sid, Active::WebSocket(ws), transport, cfg);
        s.send_open(Vec::new(), cfg, out);
        s
    }

    /// The `open` packet, then the configured
    /// [`initial_packet`](ServerConfig::initial_packet) (the reference's `onOpen`).
    fn send_open(&mut self, upgrades: Vec<Str>, cfg: &ServerConfig, out: &mut Outbox) {
        self.send_packet(open_packet(&self.sid, upgrades, cfg), cfg, out);
        if let Some(p @ (Packet::Message(_) | Packet::Binary(_))) = &cfg.initial_packet {
            self.send_packet(p.clone(), cfg, out);
        }
    }

    fn new(
        now: Instant,
        sid: Str,
        active: Active,
        transport: Transport,
        cfg: &ServerConfig,
    ) -> Self {
        let mut timers = TimerTable::default();
        match transport.protocol {
            // The server pings, every `ping_interval`.
            Protocol::V4 => timers.set(Timer::PingInterval, now + cfg.ping_interval),
            // The client pings; the session waits for the first one.
            Protocol::V3 => timers.set(Timer::PingTimeout, now + v3_heartbeat(cfg)),
        }
        Session {
            sid,
            active,
            protocol: transport.protocol,
            binary: transport.binary,
            probe_binary: false,
            buffer: VecDeque::new(),
            probe: None,
            wt: None,
            probe_wt: None,
            closing: false,
            closed: false,
            queued: 0,
            high_water: cfg.high_water(),
            oversize: 0,
            paused: false,
            parked_post: None,
            awaiting_pong: false,
            timers,
            armed: None,
        }
    }

    pub(crate) fn protocol(&self) -> Protocol {
        self.protocol
    }

    pub(crate) fn transport(&self) -> TransportKind {
        match self.active {
            Active::Polling { .. } => TransportKind::Polling,
            Active::WebSocket(_) if self.wt.is_some() => TransportKind::WebTransport,
            Active::WebSocket(_) => TransportKind::WebSocket,
        }
    }

    pub(crate) fn is_upgrading(&self) -> bool {
        self.probe.is_some()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        self.timers.next_timeout()
    }

    /// What is queued for the client, in [`queued_size`] units.
    pub(crate) fn buffered(&self) -> usize {
        self.queued
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.paused
    }

    // ---- inputs ------------------------------------------------------------------------------

    /// A long-poll GET on a polling session (`encoding`: how its answer may be compressed).
    pub(crate) fn handle_get(
        &mut self,
        id: TransportId,
        headers: Headers,
        encoding: Option<ContentEncoding>,
        out: &mut Outbox,
    ) {
        let Active::Polling { get } = &mut self.active else {
            return;
        };
        if get.is_some() {
            // The reference answers the new GET with a bare 400 and closes the session, which
            // completes the parked GET with `close`.
            out.respond(id, bare(400, headers));
            self.close(CloseReason::TransportError, Release::Close, out);
            return;
        }
        out.bindings.insert(id, self.sid.clone());
        *get = Some(ParkedGet {
            id,
            headers,
            encoding,
        });
        self.flush(out);
    }

    /// A POST on a polling session; always answered.
    pub(crate) fn handle_post(
        &mut self,
        now: Instant,
        id: TransportId,
        req: Request,
        headers: Headers,
        cfg: &ServerConfig,
        out: &mut Outbox,
    ) {
        let binary = req.content_type.as_deref() == Some("application/octet-stream");
        if binary && self.protocol == Protocol::V4 {
            tracing::warn!(sid = self.sid.as_str(), "binary POST body: transport error");
            // v4 polling is text only: the reference fails the transport ("invalid content").
            out.respond(id, bare(400, headers));
            self.close(CloseReason::TransportError, Release::Close, out);
            return;
        }
        if req.body.len() > cfg.max_payload {
            out.metrics.payload_too_large += 1;
            tracing::warn!(
                sid = self.sid.as_str(),
                peer = req.remote_address.as_deref().unwrap_or("-"),
                len = req.body.len(),
                max_payload = cfg.max_payload,
                "POST over max_payload: 413"
            );
            // The reference answers 413 and ignores the body; the session lives on.
            out.respond(id, bare(413, headers));
            return;
        }
        if self.parked_post.is_some() {
            tracing::warn!(
                sid = self.sid.as_str(),
                "overlapping POSTs: transport error"
            );
            // The reference's "data request overlap": 400, and the session fails.
            out.respond(id, bare(400, headers));
            self.close(CloseReason::TransportError, Release::Close, out);
            return;
        }
        if self.paused {
            // The application is behind: the client gets its answer (and may send more) once
            // it has caught up, as a paused WebSocket is not read.
            out.bindings.insert(id, self.sid.clone());
            self.parked_post = Some(Box::new(ParkedPost {
                id,
                body: req.body,
                binary,
                headers,
            }));
            return;
        }
        self.take_post(now, id, req.body, binary, headers, cfg, out);
    }

    /// Decodes a POST's packets (a v3 `binary` payload if so) and answers it.
    #[allow(clippy::too_many_arguments)]
    fn take_post(
        &mut self,
        now: Instant,
        id: TransportId,
        body: Bytes,
        binary: bool,
        headers: Headers,
        cfg: &ServerConfig,
        out: &mut Outbox,
    ) {
        match (self.protocol, binary) {
            (Protocol::V4, _) => {
                for packet in PayloadDecoder::decode_all(body, cfg.max_payload) {
                    if self.take_packet(now, packet, cfg, out) {
                        break;
                    }
                }
            }
            (Protocol::V3, false) => {
                for packet in v3::decode_text_payload(body) {
                    if self.take_packet(now, packet, cfg, out) {
                        break;
                    }
                }
            }
            (Protocol::V3, true) => {
                for packet in v3::decode_binary_payload(body) {
                    if self.take_packet(now, packet, cfg, out) {
                        break;
                    }
                }
            }
        }
        let mut headers = headers;
        headers.push(("content-type", Str::from_static("text/html")));
        out.respond_ok(id, headers, Bytes::from_static(b"ok"), None);
    }

    /// One packet of a POST; returns whether the session closed (the rest is not read).
    fn take_packet(
        &mut self,
        now: Instant,
        packet: Result<Packet, crate::engine::DecodeError>,
        cfg: &ServerConfig,
        out: &mut Outbox,
    ) -> bool {
        match packet {
            Ok(Packet::Close) => self.close(CloseReason::TransportClose, Release::Noop, out),
            Ok(p) => self.handle_packet(now, p, None, cfg, out),
            Err(e) => self.bad_packet(&e, out),
        }
        self.closed
    }

    /// The client went away while its GET (or a POST held by a pause) was parked.
    pub(crate) fn handle_get_aborted(&mut self, id: TransportId, out: &mut Outbox) {
        if self.parked_post.as_ref().is_some_and(|p| p.id == id) {
            // The reference's "data request connection closed prematurely".
            out.bindings.remove(&id);
            self.parked_post = None;
            self.close(CloseReason::TransportError, Release::Close, out);
            return;
        }
        if let Active::Polling { get: Some(g) } = &self.active {
            if g.id == id {
                out.bindings.remove(&id);
                self.active = Active::Polling { get: None };
                self.close(CloseReason::TransportError, Release::Close, out);
            }
        }
    }

    /// A WebSocket `ws` opened with this session's sid: probe it for an upgrade.
    pub(crate) fn handle_probe_open(
        &mut self,
        now: Instant,
        ws: TransportId,
        binary: bool,
        cfg: &ServerConfig,
        out: &mut Outbox,
    ) {
        if self.probe.is_some() || matches!(self.active, Active::WebSocket(_)) || self.closing {
            // At most one WebSocket per session: the reference closes the newcomer.
            out.transmits.push_back(Transmit::CloseWs { to: ws });
            return;
        }
        out.bindings.insert(ws, self.sid.clone());
        self.probe = Some(ws);
        self.probe_binary = binary;
        self.timers
            .set(Timer::UpgradeTimeout, now + cfg.upgrade_timeout);
    }

    /// A message on one of this session's WebSockets.
    pub(crate) fn handle_ws_frame(
        &mut self,
        now: Instant,
        ws: TransportId,
        frame: Frame,
        cfg: &ServerConfig,
        out: &mut Outbox,
    ) {
        if frame.len() > cfg.max_payload {
            self.ws_frame_too_large(ws, frame.len(), cfg, out);
            return;
        }
        // A text message keeps its frame, shared, for the layer above (`Event::Message`).
        let text = match &frame {
            Frame::Text(t) if cfg.keep_text_frame.is_none_or(|keep| keep(t.as_bytes())) => {
                Some(t.clone())
            }
            _ => None,
        };
        let packet = self.protocol.decode_frame(frame);
        if self.probe == Some(ws) {
            match packet {
                Ok(Packet::Ping(d)) if d == PROBE => {
                    out.transmits.push_back(Transmit::WsFrame {
                        to: ws,
                        frame: Packet::Pong(Str::from_static(PROBE)).encode(),
                    });
                    self.timers.set(
                        Timer::UpgradeCheck,
                        now + ServerConfig::UPGRADE_CHECK_INTERVAL,
                    );
                }
                Ok(Packet::Upgrade) => self.complete_upgrade(ws, out),
                _ => self.abort_probe(out),
            }
            return;
        }
        match packet {
            Ok(p) => self.handle_packet(now, p, text, cfg, out),
            Err(e) => self.bad_packet(&e, out),
        }
    }

    /// A WebSocket message over `max_payload`: the WebSocket library fails the connection
    /// ("Max payload size exceeded").
    #[cold]
    fn ws_frame_too_large(
        &mut self,
        ws: TransportId,
        len: usize,
        cfg: &ServerConfig,
        out: &mut Outbox,
    ) {
        out.metrics.payload_too_large += 1;
        tracing::warn!(
            sid = self.sid.as_str(),
            len,
            max_payload = cfg.max_payload,
            "WebSocket message over max_payload"
        );
        if self.probe == Some(ws) {
            self.abort_probe(out);
        } else {
            self.close(CloseReason::TransportError, Release::Close, out);
        }
    }

    /// A packet that does not decode: "parse error".
    #[cold]
    fn bad_packet(&mut self, e: &crate::engine::DecodeError, out: &mut Outbox) {
        tracing::warn!(sid = self.sid.as_str(), error = %e, "bad Engine.IO packet");
        self.close(CloseReason::ParseError, Release::Close, out)
    }

    /// One of this session's WebSockets closed.
    pub(crate) fn handle_ws_closed(
        &mut self,
        ws: TransportId,
        reason: CloseReason,
        out: &mut Outbox,
    ) {
        out.bindings.remove(&ws);
        if self.probe == Some(ws) {
            self.probe = None;
            self.probe_wt = None;
            self.stop_upgrade_timers();
        } else if matches!(self.active, Active::WebSocket(w) if w == ws) {
            // Already closed by the peer: nothing to send on it.
            self.finish_close(reason, out);
        }
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant, cfg: &ServerConfig, out: &mut Outbox) {
        for timer in Timer::ALL {
            if self.closed || !self.timers.take_expired(timer, now) {
                continue;
            }
            match timer {
                Timer::PingInterval => {
                    self.send_packet(Packet::ping(), cfg, out);
                    self.awaiting_pong = true;
                    if !self.paused {
                        self.timers.set(Timer::PingTimeout, now + cfg.ping_timeout);
                    }
                }
                Timer::PingTimeout => {
                    // v4: the pong is overdue; v3: the client's ping is.
                    self.close(CloseReason::PingTimeout, Release::Close, out);
                }
                Timer::UpgradeTimeout => self.abort_probe(out),
                Timer::UpgradeCheck => {
                    if let Active::Polling { get: Some(_) } = self.active {
                        self.respond_to_get(&[Packet::Noop.encode()], out);
                    }
                    self.timers.set(
                        Timer::UpgradeCheck,
                        now + ServerConfig::UPGRADE_CHECK_INTERVAL,
                    );
                }
                Timer::Close => self.close(CloseReason::ForcedClose, Release::Close, out),
            }
        }
    }

    // ---- commands ----------------------------------------------------------------------------

    /// The application closes the session: the buffer drains first, as the reference's
    /// `socket.close()`.
    pub(crate) fn force_close(&mut self, now: Instant, out: &mut Outbox) {
        if self.closing || self.closed {
            return;
        }
        match &self.active {
            Active::WebSocket(_) => self.close(CloseReason::ForcedClose, Release::Close, out),
            Active::Polling { get: Some(_) } => {
                // A parked GET means the buffer is empty.
                self.close(CloseReason::ForcedClose, Release::Close, out)
            }
            Active::Polling { get: None } => {
                // Deliver the buffer and `close` on the next GET, or give up after a while.
                self.closing = true;
                self.timers
                    .set(Timer::Close, now + ServerConfig::CLOSE_TIMEOUT);
            }
        }
    }

    /// The server shuts down: close now, without draining.
    pub(crate) fn shutdown(&mut self, out: &mut Outbox) {
        self.close(CloseReason::ServerShuttingDown, Release::Close, out);
    }

    // ---- internals ---------------------------------------------------------------------------

    /// One packet from the client; `frame` is the text WebSocket message it came in.
    fn handle_packet(
        &mut self,
        now: Instant,
        packet: Packet,
        frame: Option<Str>,
        cfg: &ServerConfig,
        out: &mut Outbox,
    ) {
        match packet {
            Packet::Message(_) | Packet::Binary(_) => {
                let len = match &packet {
                    Packet::Message(text) => text.len() + 1,
                    Packet::Binary(data) => data.len(),
                    _ => 0,
                };
                out.metrics.message_in(len);
                tracing::debug!(sid = self.sid.as_str(), len, "message received");
                let frame = frame.filter(|_| matches!(packet, Packet::Message(_)));
                out.events.push_back(Event::Message {
                    sid: self.sid.clone(),
                    packet,
                    frame,
                })
            }
            Packet::Pong(_) if self.protocol == Protocol::V4 => {
                self.awaiting_pong = false;
                self.timers.stop(Timer::PingTimeout);
                self.timers
                    .set(Timer::PingInterval, now + cfg.ping_interval);
            }
            Packet::Ping(_) if self.protocol == Protocol::V3 => {
                // v3 heartbeats go client → server: answer, and wait for the next one.
                if !self.paused {
                    self.timers.set(Timer::PingTimeout, now + v3_heartbeat(cfg));
                }
                self.send_packet(Packet::pong(), cfg, out);
            }
            // A heartbeat the wrong way: "invalid heartbeat direction".
            Packet::Ping(_) | Packet::Pong(_) => {
                tracing::warn!(
                    sid = self.sid.as_str(),
                    "heartbeat the wrong way: transport error"
                );
                self.close(CloseReason::TransportError, Release::Close, out)
            }
            // Over polling a `close` is handled before this; over WebSocket the reference's
            // socket ignores it (clients close the WebSocket itself), as it ignores the rest.
            Packet::Close | Packet::Open(_) | Packet::Upgrade | Packet::Noop => {}
        }
    }

    fn send_packet(&mut self, packet: Packet, cfg: &ServerConfig, out: &mut Outbox) {
        self.send_frame(self.protocol.encode(&packet), cfg, out);
    }

    /// A queued frame as the active WebSocket takes it: a v3 client that asked for base64
    /// gets binary frames as `b4<base64>` text.
    pub(super) fn ws_frame(&self, frame: Frame) -> Frame {
        if self.protocol == Protocol::V3 && !self.binary {
            v3::base64_frame(&frame)
        } else {
            frame
        }
    }

    /// Writes the buffer if the transport is writable.
    fn flush(&mut self, out: &mut Outbox) {
        match &self.active {
            Active::WebSocket(ws) => {
                let ws = *ws;
                while let Some(frame) = self.buffer.pop_front() {
                    let frame = self.ws_frame(frame);
                    out.transmits.push_back(Transmit::WsFrame { to: ws, frame });
                }
            }
            Active::Polling { get: Some(_) } => {
                if self.closing && self.buffer.is_empty() {
                    self.respond_to_get(&[Packet::Close.encode()], out);
                    self.finish_close(CloseReason::ForcedClose, out);
                } else if !self.buffer.is_empty() {
                    // While closing too: the buffer goes first, `close` on the next GET (as
                    // the reference, which closes the transport once it drained). One payload
                    // with both would let socket.io-client see the transport close before the
                    // packets (it dispatches decoded packets on the next tick).
                    let frames: Vec<Frame> = self.buffer.drain(..).collect();
                    self.respond_to_get(&frames, out);
                    // Handed to the driver: written, as far as the queue is concerned.
                    let sent = frames.iter().map(queued_size).sum();
                    self.dequeue(sent, out);
                }
            }
            Active::Polling { get: None } => {}
        }
    }

    fn complete_upgrade(&mut self, ws: TransportId, out: &mut Outbox) {
        self.probe = None;
        self.stop_upgrade_timers();
        // The reference closes the discarded polling transport: a GET still parked gets `close`.
        self.respond_to_get(&[Packet::Close.encode()], out);
        self.active = Active::WebSocket(ws);
        self.wt = self.probe_wt.take();
        self.binary = self.probe_binary;
        if self.paused {
            out.transmits.push_back(Transmit::PauseRead { to: ws });
        }
        out.metrics.upgrades += 1;
        tracing::debug!(sid = self.sid.as_str(), "upgraded to WebSocket");
        out.events.push_back(Event::Upgraded {
            sid: self.sid.clone(),
        });
        self.flush(out);
        if self.closing {
            self.close(CloseReason::ForcedClose, Release::Close, out);
        }
    }

    fn abort_probe(&mut self, out: &mut Outbox) {
        if let Some(ws) = self.probe.take() {
            out.close_ws(ws);
        }
        self.probe_wt = None;
        self.stop_upgrade_timers();
    }

    fn stop_upgrade_timers(&mut self) {
        self.timers.stop(Timer::UpgradeTimeout);
        self.timers.stop(Timer::UpgradeCheck);
    }

    /// Closes the transports and reports the close.
    fn close(&mut self, reason: CloseReason, release: Release, out: &mut Outbox) {
        if self.closed {
            return;
        }
        self.abort_probe(out);
        match self.active {
            // A client that stopped reading (its queue filled, or its pong never came) would
            // never take a close frame: its connection is dropped instead.
            Active::WebSocket(ws) if reason.drops_transport() => out.abort_ws(ws),
            Active::WebSocket(ws) => out.close_ws(ws),
            Active::Polling { .. } => {
                let packet = match release {
                    Release::Close => Packet::Close,
                    Release::Noop => Packet::Noop,
                };
                self.respond_to_get(&[packet.encode()], out);
            }
        }
        self.finish_close(reason, out);
    }

    fn finish_close(&mut self, reason: CloseReason, out: &mut Outbox) {
        if self.closed {
            return;
        }
        self.abort_probe(out);
        self.closed = true;
        self.buffer.clear();
        self.queued = 0;
        self.timers = TimerTable::default();
        if let Some(p) = self.parked_post.take() {
            // Its packets are not taken: the session is gone.
            out.respond(p.id, bare(400, p.headers));
        }
        out.metrics.closed[reason.index()] += 1;
        tracing::info!(
            sid = self.sid.as_str(),
            reason = reason.as_str(),
            "Engine.IO session closed"
        );
        out.events.push_back(Event::SessionClosed {
            sid: self.sid.clone(),
            reason,
        });
    }
}

/// How long a v3 session waits for the client's next ping (the reference's
/// `pingInterval + pingTimeout`).
pub(super) fn v3_heartbeat(cfg: &ServerConfig) -> std::time::Duration {
    cfg.ping_interval + cfg.ping_timeout
}

/// The `open` packet: the same document for both revisions (the reference sends v3 clients
/// `maxPayload` too).
fn open_packet(sid: &Str, upgrades: Vec<Str>, cfg: &ServerConfig) -> Packet {
    let handshake = crate::engine::Handshake {
        sid: sid.clone(),
        upgrades,
        ping_interval: cfg.ping_interval.as_millis() as u64,
        ping_timeout: cfg.ping_timeout.as_millis() as u64,
        max_payload: cfg.max_payload as u64,
    };
    Packet::Open(Str::from(handshake.to_json()))
}

/// A response with a status and no body.
pub(crate) fn bare(status: u16, headers: Headers) -> Response {
    Response {
        status,
        headers,
        body: Bytes::new(),
        encode_with: None,
    }
}
