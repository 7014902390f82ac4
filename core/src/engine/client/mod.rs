//! The sans-IO Engine.IO v4 client.
//!
//! [`Client`] opens a session over long-polling (or directly over WebSocket), moves it to
//! WebSocket when the server offers it, answers pings, watches the heartbeat and batches what
//! the application sends. It performs no I/O: it asks its driver for HTTP requests and
//! WebSocket messages ([`Transmit`]) and is told what came back.
//!
//! The caller contract is the crate's: after every input or command, drain
//! [`poll_transmit`](Client::poll_transmit) and [`poll_event`](Client::poll_event), then wait
//! for the first of an answer, a command, or [`poll_timeout`](Client::poll_timeout).
//!
//! The upgrade follows the reference client: once the handshake came over polling, a
//! WebSocket is opened beside it and sends `2probe`; on `3probe` writes are held back, polling
//! pauses once its in-flight GET and POST have completed (the server releases the GET with a
//! `noop`), then `5` goes over the WebSocket, which becomes the transport, and the held-back
//! packets are flushed over it in order.

mod config;
mod event;
mod io;
mod webtransport;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

pub use config::ClientConfig;
pub use event::{CloseReason, Event};
pub use io::{HttpMethod, HttpResult, IoId, Transmit};

use super::webtransport::StreamDecoder;
use super::{encode_payload, Frame, Handshake, Packet, PayloadDecoder, PROBE};
use crate::engine::server::TransportKind;
use crate::Str;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Opening,
    Open,
    Closed,
}

#[derive(Debug)]
enum Transport {
    Polling {
        get: Option<IoId>,
        post: Option<IoId>,
        /// `3probe` came: no new request is started, and the upgrade completes once the
        /// in-flight ones are answered.
        pausing: bool,
    },
    WebSocket {
        id: IoId,
        open: bool,
    },
}

#[derive(Debug)]
struct Probe {
    id: IoId,
    /// `2probe` was sent (the WebSocket is open).
    sent: bool,
    /// The probe is a WebTransport session: its stream's decoder.
    wt: Option<Box<StreamDecoder>>,
}

/// A sans-IO Engine.IO v4 client session. See the [module docs](self).
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    state: State,
    /// The application asked to close; it happens once the write buffer is drained and no
    /// upgrade is half-way.
    closing: bool,
    handshake: Option<Handshake>,
    transport: Transport,
    probe: Option<Probe>,
    /// `3probe` was answered: writes wait for the switch.
    upgrading: bool,
    write_buffer: VecDeque<Frame>,
    /// The transport (a message transport, `Transport::WebSocket`) is a WebTransport session:
    /// its stream's decoder.
    wt: Option<Box<StreamDecoder>>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    ping_deadline: Option<Instant>,
    next_id: u64,
}

impl Client {
    /// Starts a session: the first transport of `config.transports` opens it, or WebSocket
    /// when `config.remember_upgrade` is set and `prior_websocket_success` says an earlier
    /// session of this client upgraded.
    pub fn new(config: ClientConfig, prior_websocket_success: bool, now: Instant) -> Self {
        Self::new_with_id_base(config, prior_websocket_success, now, 0)
    }

    /// Like [`new`](Self::new), numbering requests and WebSockets after `id_base`: a client
    /// that replaces another starts after the other's [`last_id`](Self::last_id), so late
    /// answers to the old one are never taken for answers to the new one.
    pub fn new_with_id_base(
        config: ClientConfig,
        prior_websocket_success: bool,
        _now: Instant,
        id_base: u64,
    ) -> Self {
        let ws_allowed = config.transports.contains(&TransportKind::WebSocket);
        let first = if config.remember_upgrade && prior_websocket_success && ws_allowed {
            TransportKind::WebSocket
        } else {
            config
                .transports
                .first()
                .copied()
                .unwrap_or(TransportKind::Polling)
        };
        let mut c = Client {
            config,
            state: State::Opening,
            closing: false,
            handshake: None,
            transport: Transport::Polling {
                get: None,
                post: None,
                pausing: false,
            },
            probe: None,
            upgrading: false,
            write_buffer: VecDeque::new(),
            wt: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            ping_deadline: None,
            next_id: id_base,
        };
        match first {
            TransportKind::Polling => c.poll(),
            TransportKind::WebSocket => {
                let id = c.id();
                let query = c.query(TransportKind::WebSocket);
                c.transport = Transport::WebSocket { id, open: false };
                c.transmits.push_back(Transmit::WsOpen { id, query });
            }
            TransportKind::WebTransport => {
                let id = c.id();
                let query = c.query(TransportKind::WebTransport);
                c.transport = Transport::WebSocket { id, open: false };
                c.wt = Some(Box::new(StreamDecoder::new(c.config.max_payload)));
                c.transmits.push_back(Transmit::WtOpen { id, query });
            }
        }
        c
    }

    // ----- getters

    /// The session id, once the handshake is done.
    pub fn sid(&self) -> Option<&Str> {
        self.handshake.as_ref().map(|h| &h.sid)
    }

    /// The server's handshake, once received.
    pub fn handshake(&self) -> Option<&Handshake> {
        self.handshake.as_ref()
    }

    /// The last id given to a request or WebSocket.
    pub fn last_id(&self) -> u64 {
        self.next_id
    }

    /// The transport in use.
    pub fn transport(&self) -> TransportKind {
        match self.transport {
            Transport::Polling { .. } => TransportKind::Polling,
            Transport::WebSocket { .. } if self.wt.is_some() => TransportKind::WebTransport,
            Transport::WebSocket { .. } => TransportKind::WebSocket,
        }
    }

    /// Whether the session is open (handshake done, not closed).
    pub fn is_open(&self) -> bool {
        self.state == State::Open
    }

    /// Whether the session has ended.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Frames waiting in the write buffer for the transport (a POST in flight, an upgrade in
    /// progress), and their bytes.
    pub fn write_buffered(&self) -> (usize, usize) {
        let bytes = self.write_buffer.iter().map(Frame::len).sum();
        (self.write_buffer.len(), bytes)
    }

    /// Whether a packet sent now would be written at once (the reference's
    /// `transport.writable`): volatile packets are dropped otherwise.
    pub fn is_writable(&self) -> bool {
        self.state == State::Open
            && !self.upgrading
            && match self.transport {
                Transport::Polling { post, pausing, .. } => post.is_none() && !pausing,
                Transport::WebSocket { open, .. } => open,
            }
    }

    // ----- outputs

    /// The next request or WebSocket action for the driver.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event for the layer above.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.ping_deadline
    }

    // ----- commands

    /// Queues an encoded Engine.IO frame for the server: a text frame with its type digit
    /// (`Packet::Message(text).encode()` gives `4<text>`; Socket.IO's `Packet::to_frames`
    /// writes it so) or a binary message. Frames sent before the handshake wait for it; after
    /// [`close`](Self::close) they are dropped (returns false).
    pub fn send(&mut self, frame: Frame) -> bool {
        if self.state == State::Closed || self.closing {
            return false;
        }
        self.write_buffer.push_back(frame);
        self.flush();
        true
    }

    /// Closes the session ("forced close") once what was sent is written, as the reference
    /// does: over polling the server gets a `1`, a WebSocket is closed.
    pub fn close(&mut self) {
        if self.state == State::Closed || self.closing {
            return;
        }
        self.closing = true;
        self.maybe_finish_close();
    }

    // ----- inputs

    /// Feeds the answer to HTTP request `id`.
    pub fn handle_http_response(&mut self, now: Instant, id: IoId, result: HttpResult) {
        let Transport::Polling { get, post, .. } = &mut self.transport else {
            return;
        };
        if self.state == State::Closed {
            return;
        }
        if *get == Some(id) {
            *get = None;
            let result = decoded(result, self.config.max_payload);
            match result {
                HttpResult::Response {
                    status: 200, body, ..
                } => self.on_poll_data(now, body),
                HttpResult::Response { status, body, .. } => {
                    let detail = String::from_utf8_lossy(&body).into_owned();
                    self.fail(CloseReason::TransportError(format!(
                        "xhr poll error ({status} {detail})"
                    )));
                }
                HttpResult::Failed(e) => {
                    self.fail(CloseReason::TransportError(format!("xhr poll error ({e})")))
                }
            }
            if self.state == State::Closed {
                return;
            }
            if let Transport::Polling {
                get: None,
                pausing: false,
                ..
            } = self.transport
            {
                if self.state == State::Open {
                    self.poll();
                }
            }
            self.maybe_paused();
        } else if *post == Some(id) {
            *post = None;
            match result {
                HttpResult::Response { status: 200, .. } => {}
                HttpResult::Response { status, .. } => {
                    return self.fail(CloseReason::TransportError(format!(
                        "xhr post error ({status})"
                    )));
                }
                HttpResult::Failed(e) => {
                    return self.fail(CloseReason::TransportError(format!("xhr post error ({e})")));
                }
            }
            self.flush();
            self.maybe_paused();
            self.maybe_finish_close();
        }
    }

    /// WebSocket `id` is open.
    pub fn handle_ws_open(&mut self, _now: Instant, id: IoId) {
        if self.state == State::Closed {
            return;
        }
        if let Transport::WebSocket { id: main, open } = &mut self.transport {
            if *main == id {
                // The server's `open` packet follows.
                *open = true;
                return;
            }
        }
        if let Some(p) = &mut self.probe {
            if p.id == id && !p.sent {
                p.sent = true;
                self.transmits.push_back(Transmit::WsSend {
                    id,
                    frame: Packet::Ping(Str::from_static(PROBE)).encode(),
                });
            }
        }
    }

    /// A message arrived on WebSocket `id`.
    pub fn handle_ws_message(&mut self, now: Instant, id: IoId, frame: Frame) {
        if self.state == State::Closed {
            return;
        }
        if matches!(self.transport, Transport::WebSocket { id: main, .. } if main == id) {
            match Packet::decode_frame(frame) {
                Ok(p) => self.on_packet(now, p),
                Err(_) => self.fail(CloseReason::TransportError("parser error".into())),
            }
            return;
        }
        let Some(p) = &self.probe else { return };
        if p.id != id {
            return;
        }
        let is_pong_probe = matches!(&frame, Frame::Text(t) if t.as_bytes() == b"3probe");
        if is_pong_probe && p.sent && !self.upgrading {
            self.upgrading = true;
            if let Transport::Polling { pausing, .. } = &mut self.transport {
                *pausing = true;
            }
            self.maybe_paused();
        } else {
            self.probe_failed("probe error");
        }
    }

    /// WebSocket `id` closed; `error` tells whether it failed (or never opened) rather than
    /// closed cleanly.
    pub fn handle_ws_closed(&mut self, _now: Instant, id: IoId, error: Option<String>) {
        if self.state == State::Closed {
            return;
        }
        if matches!(self.transport, Transport::WebSocket { id: main, .. } if main == id) {
            let reason = match error {
                Some(e) => CloseReason::TransportError(format!("websocket error ({e})")),
                None => CloseReason::TransportClose,
            };
            return self.fail(reason);
        }
        if self.probe.as_ref().is_some_and(|p| p.id == id) {
            self.probe_failed("probe error");
        }
    }

    /// Checks the heartbeat: with no ping for `pingInterval + pingTimeout`, the session closes
    /// with "ping timeout". Safe to call early.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.ping_deadline.is_some_and(|d| d <= now) {
            self.fail(CloseReason::PingTimeout);
        }
    }

    // ----- internals

    fn id(&mut self) -> IoId {
        self.next_id += 1;
        IoId(self.next_id)
    }

    fn query(&self, transport: TransportKind) -> String {
        let mut q = String::with_capacity(64);
        for (k, v) in &self.config.query {
            io::encode_component(k, &mut q);
            q.push('=');
            io::encode_component(v, &mut q);
            q.push('&');
        }
        q.push_str("EIO=4&transport=");
        q.push_str(match transport {
            TransportKind::Polling => "polling",
            TransportKind::WebSocket => "websocket",
            TransportKind::WebTransport => "webtransport",
        });
        if let Some(sid) = self.sid() {
            q.push_str("&sid=");
            io::encode_component(sid, &mut q);
        }
        q
    }

    /// Sends a POST with `body`; returns its id.
    fn post(&mut self, body: Bytes) -> IoId {
        let id = self.id();
        let query = self.query(TransportKind::Polling);
        self.transmits.push_back(Transmit::Http {
            id,
            method: HttpMethod::Post,
            query,
            body,
        });
        id
    }

    /// Starts a long-poll GET.
    fn poll(&mut self) {
        let id = self.id();
        let query = self.query(TransportKind::Polling);
        if let Transport::Polling { get, .. } = &mut self.transport {
            *get = Some(id);
            self.transmits.push_back(Transmit::Http {
                id,
                method: HttpMethod::Get,
                query,
                body: Bytes::new(),
            });
        }
    }

    fn on_poll_data(&mut self, now: Instant, body: Bytes) {
        let mut decoder = PayloadDecoder::new(self.config.max_payload);
        decoder.push(body);
        decoder.finish();
        while let Some(p) = decoder.next_packet() {
            match p {
                Ok(Packet::Close) => return self.fail(CloseReason::TransportClose),
                Ok(p) => self.on_packet(now, p),
                Err(_) => {
                    return self.fail(CloseReason::TransportError("parser error".into()));
                }
            }
            if self.state == State::Closed {
                return;
            }
        }
    }

    fn on_packet(&mut self, now: Instant, packet: Packet) {
        match packet {
            Packet::Open(json) => {
                if self.state != State::Opening {
                    return;
                }
                let Ok(hs) = Handshake::from_json(json.as_bytes()) else {
                    return self.fail(CloseReason::ParseError);
                };
                self.state = State::Open;
                self.reset_ping(now, &hs);
                let probe =
                    if matches!(self.transport, Transport::Polling { .. }) && self.config.upgrade {
                        self.upgrade_target(&hs)
                    } else {
                        None
                    };
                self.handshake = Some(hs.clone());
                self.events.push_back(Event::Open(hs));
                match probe {
                    Some(TransportKind::WebTransport) => {
                        let id = self.id();
                        let query = self.query(TransportKind::WebTransport);
                        let wt = Some(Box::new(StreamDecoder::new(self.config.max_payload)));
                        self.probe = Some(Probe {
                            id,
                            sent: false,
                            wt,
                        });
                        self.transmits.push_back(Transmit::WtOpen { id, query });
                    }
                    Some(_) => {
                        let id = self.id();
                        let query = self.query(TransportKind::WebSocket);
                        self.probe = Some(Probe {
                            id,
                            sent: false,
                            wt: None,
                        });
                        self.transmits.push_back(Transmit::WsOpen { id, query });
                    }
                    None => {}
                }
                self.flush();
                self.maybe_finish_close();
            }
            Packet::Close => self.fail(CloseReason::TransportClose),
            Packet::Ping(_) if self.state == State::Open => {
                if let Some(hs) = self.handshake.clone() {
                    self.reset_ping(now, &hs);
                }
                self.write_buffer.push_back(Packet::pong().encode());
                self.events.push_back(Event::Ping);
                self.flush();
            }
            Packet::Message(m) if self.state == State::Open => {
                self.events.push_back(Event::Message(m))
            }
            Packet::Binary(b) if self.state == State::Open => {
                self.events.push_back(Event::Binary(b))
            }
            _ => {}
        }
    }

    fn reset_ping(&mut self, now: Instant, hs: &Handshake) {
        self.ping_deadline =
            Some(now + Duration::from_millis(hs.ping_interval.saturating_add(hs.ping_timeout)));
    }

    /// The transport to probe for an upgrade: the first of the configured transports (after
    /// polling) that the server offers. The reference probes every offered one at once and
    /// keeps the first to answer; sio probes one, in the application's order of preference.
    fn upgrade_target(&self, hs: &Handshake) -> Option<TransportKind> {
        self.config
            .transports
            .iter()
            .copied()
            .find(|t| *t != TransportKind::Polling && hs.upgrades.iter().any(|u| *u == t.name()))
    }

    /// Writes what the buffer holds, if the transport can take it.
    fn flush(&mut self) {
        if self.state != State::Open || self.upgrading || self.write_buffer.is_empty() {
            return;
        }
        match &mut self.transport {
            Transport::Polling {
                post: None,
                pausing: false,
                ..
            } => {
                let max = self
                    .handshake
                    .as_ref()
                    .map_or(0, |h| usize::try_from(h.max_payload).unwrap_or(usize::MAX));
                // The reference's batching: whole packets up to maxPayload, at least one.
                let mut size = 1usize;
                let mut n = 0;
                for (i, f) in self.write_buffer.iter().enumerate() {
                    size += f.payload_len();
                    if max > 0 && i > 0 && size > max {
                        break;
                    }
                    size += 2;
                    n = i + 1;
                }
                let frames: Vec<Frame> = self.write_buffer.drain(..n).collect();
                let mut body = Vec::new();
                encode_payload(&frames, &mut body);
                let id = self.post(body.into());
                if let Transport::Polling { post, .. } = &mut self.transport {
                    *post = Some(id);
                }
            }
            Transport::WebSocket { id, open: true } => {
                let id = *id;
                for frame in self.write_buffer.drain(..) {
                    self.transmits.push_back(Transmit::WsSend { id, frame });
                }
            }
            _ => {}
        }
    }

    /// Completes the upgrade once polling is paused (no request in flight).
    fn maybe_paused(&mut self) {
        let Transport::Polling {
            get: None,
            post: None,
            pausing: true,
        } = self.transport
        else {
            return;
        };
        let Some(probe) = self.probe.take() else {
            return;
        };
        self.transport = Transport::WebSocket {
            id: probe.id,
            open: true,
        };
        self.wt = probe.wt;
        self.transmits.push_back(Transmit::WsSend {
            id: probe.id,
            frame: Packet::Upgrade.encode(),
        });
        self.upgrading = false;
        self.events.push_back(Event::Upgraded);
        self.flush();
        self.maybe_finish_close();
    }

    fn probe_failed(&mut self, why: &str) {
        let Some(p) = self.probe.take() else { return };
        self.transmits.push_back(Transmit::WsClose { id: p.id });
        self.events.push_back(Event::UpgradeError(why.to_owned()));
        if self.upgrading {
            self.upgrading = false;
            if let Transport::Polling { pausing, get, .. } = &mut self.transport {
                *pausing = false;
                if get.is_none() && self.state == State::Open {
                    self.poll();
                }
            }
        }
        self.flush();
        self.maybe_finish_close();
    }

    /// Closes for the application once nothing is left to write and no upgrade is half-way.
    fn maybe_finish_close(&mut self) {
        if !self.closing || self.state == State::Closed {
            return;
        }
        let drained = self.write_buffer.is_empty()
            && !matches!(self.transport, Transport::Polling { post: Some(_), .. });
        if self.state == State::Open && (!drained || self.upgrading) {
            return;
        }
        self.fail(CloseReason::ForcedClose);
    }

    /// Ends the session with `reason`, closing what is open.
    fn fail(&mut self, reason: CloseReason) {
        if self.state == State::Closed {
            return;
        }
        let was_open = self.state == State::Open;
        self.state = State::Closed;
        self.ping_deadline = None;
        self.write_buffer.clear();
        if let Some(p) = self.probe.take() {
            self.transmits.push_back(Transmit::WsClose { id: p.id });
        }
        match self.transport {
            Transport::WebSocket { id, .. } => self.transmits.push_back(Transmit::WsClose { id }),
            Transport::Polling { .. } => {
                // The reference's polling transport tells the server with a `1` when it
                // closes an open session itself.
                if was_open && matches!(reason, CloseReason::ForcedClose | CloseReason::PingTimeout)
                {
                    self.post(Bytes::from_static(b"1"));
                }
            }
        }
        self.events.push_back(Event::Closed(reason));
    }
}

/// `result` with its body decoded by its `Content-Encoding` (held to `limit` bytes while
/// inflating); a body the client cannot decode fails the request.
fn decoded(result: HttpResult, limit: usize) -> HttpResult {
    use crate::compress::http::{decode, ContentEncoding};
    let HttpResult::Response {
        status,
        body,
        content_encoding: Some(name),
    } = result
    else {
        return result;
    };
    if name.trim().is_empty() || name.trim().eq_ignore_ascii_case("identity") {
        return HttpResult::Response {
            status,
            body,
            content_encoding: None,
        };
    }
    let Some(encoding) = ContentEncoding::from_header(&name) else {
        return HttpResult::Failed(format!("unsupported content-encoding {name:?}"));
    };
    match decode(encoding, &body, limit) {
        Ok(body) => HttpResult::Response {
            status,
            body,
            content_encoding: None,
        },
        Err(e) => HttpResult::Failed(format!("{name} body: {e}")),
    }
}
