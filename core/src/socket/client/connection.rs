//! The manager's connection: opening it, the engine's events, closing, reconnecting.

use std::time::Instant;

use super::*;

impl Manager {
    /// Opens the Engine.IO connection unless it is open or opening.
    pub(super) fn open(&mut self, now: Instant) {
        if self.state != ReadyState::Closed {
            return;
        }
        self.skip_reconnect = false;
        self.state = ReadyState::Opening;
        // A closing engine still numbering requests would collide with the new one's ids:
        // it is abandoned (what it had left to write is lost, as with a dropped connection).
        if let Some(mut d) = self.draining.take() {
            self.take_transmits(&mut d);
        }
        let engine = EngineClient::new_with_id_base(
            self.config.engine.clone(),
            self.prior_websocket_success,
            now,
            self.last_io_id,
        );
        self.engine = Some(engine);
        self.open_deadline = (!self.config.timeout.is_zero()).then(|| now + self.config.timeout);
        self.drive(now);
    }

    /// Moves the draining engine's transmits to the manager's queue, dropping its events, and
    /// forgets it once it has closed.
    pub(super) fn drain_closing(&mut self) {
        let Some(mut d) = self.draining.take() else {
            return;
        };
        while d.poll_event().is_some() {}
        self.take_transmits(&mut d);
        if !d.is_closed() {
            self.draining = Some(d);
        }
    }

    /// Moves a finished engine's last transmits (its closes) to the manager's queue.
    pub(super) fn take_transmits(&mut self, e: &mut EngineClient) {
        self.last_io_id = self.last_io_id.max(e.last_id());
        while let Some(t) = e.poll_transmit() {
            self.transmits.push_back(t);
        }
    }

    /// Handles what the engine reported.
    pub(super) fn drive(&mut self, now: Instant) {
        loop {
            let Some(e) = &mut self.engine else { return };
            self.last_io_id = self.last_io_id.max(e.last_id());
            let Some(ev) = e.poll_event() else { return };
            match ev {
                EngineEvent::Open(_) => {
                    // As engine.io-client's priorWebsocketSuccess: true only while the last
                    // connection opened over (or upgraded to) WebSocket without error since.
                    self.prior_websocket_success = e.transport() == TransportKind::WebSocket;
                    self.on_open(now)
                }
                EngineEvent::Message(text) => {
                    let r = self.decoder.decode_text(text);
                    self.on_decoded(now, r);
                }
                EngineEvent::Binary(b) => {
                    let r = self.decoder.decode_binary(b);
                    self.on_decoded(now, r);
                }
                EngineEvent::Ping => self.events.push_back(Event::Ping),
                EngineEvent::Upgraded => {
                    self.prior_websocket_success = true;
                    self.events.push_back(Event::Upgraded);
                }
                EngineEvent::UpgradeError(_) => {}
                EngineEvent::Closed(reason) => {
                    if matches!(reason, CloseReason::TransportError(_)) {
                        self.prior_websocket_success = false;
                    }
                    if let Some(mut e) = self.engine.take() {
                        self.take_transmits(&mut e);
                    }
                    if self.state == ReadyState::Opening {
                        let why = match reason {
                            CloseReason::TransportError(d) => d,
                            other => other.as_str().to_owned(),
                        };
                        self.open_failed(now, why);
                    } else {
                        let reason = match reason {
                            CloseReason::TransportClose => DisconnectReason::TransportClose,
                            CloseReason::TransportError(d) => {
                                // The reference's engine emits `error` before `close`, and
                                // the manager passes it on.
                                self.events.push_back(Event::Error(d));
                                DisconnectReason::TransportError
                            }
                            CloseReason::PingTimeout => DisconnectReason::PingTimeout,
                            CloseReason::ForcedClose => DisconnectReason::ForcedClose,
                            CloseReason::ParseError => DisconnectReason::ParseError,
                        };
                        self.on_close(now, reason);
                    }
                }
            }
        }
    }

    pub(super) fn on_open(&mut self, _now: Instant) {
        self.state = ReadyState::Open;
        self.open_deadline = None;
        self.decoder = self.config.parser.decoder(self.config.max_attachments);
        self.events.push_back(Event::Open);
        for i in 0..self.sockets.len() {
            if self.sockets[i].active {
                self.send_connect(i);
            }
        }
        if std::mem::take(&mut self.attempt) {
            let attempts = self.backoff.attempts();
            self.reconnecting = false;
            self.backoff.reset();
            self.events.push_back(Event::Reconnect(attempts));
        }
    }

    /// A connection attempt failed before opening.
    pub(super) fn open_failed(&mut self, now: Instant, why: String) {
        self.state = ReadyState::Closed;
        self.open_deadline = None;
        self.events.push_back(Event::Error(why.clone()));
        for s in &self.sockets {
            if s.active && !s.connected {
                self.events.push_back(Event::ConnectError {
                    nsp: s.nsp.clone(),
                    message: why.clone(),
                    data: None,
                });
            }
        }
        if std::mem::take(&mut self.attempt) {
            self.reconnecting = false;
            self.reconnect(now);
            self.events.push_back(Event::ReconnectError(why));
        } else if !self.reconnecting && self.config.reconnection && self.backoff.attempts() == 0 {
            self.reconnect(now);
        }
    }

    /// The connection closed: every active socket disconnects, then reconnection starts.
    pub(super) fn on_close(&mut self, now: Instant, reason: DisconnectReason) {
        if let Some(mut e) = self.engine.take() {
            e.close();
            self.take_transmits(&mut e);
            while e.poll_event().is_some() {}
            if !e.is_closed() {
                self.draining = Some(e);
            }
        }
        self.attempt = false;
        self.open_deadline = None;
        self.backoff.reset();
        let was = self.state;
        self.state = ReadyState::Closed;
        if was != ReadyState::Closed {
            self.events.push_back(Event::Close(reason));
        }
        for i in 0..self.sockets.len() {
            if self.sockets[i].active {
                self.socket_closed(now, i, reason);
            }
        }
        if self.config.reconnection && !self.skip_reconnect {
            self.reconnect(now);
        }
    }

    pub(super) fn reconnect(&mut self, now: Instant) {
        if self.reconnecting || self.skip_reconnect {
            return;
        }
        if self.backoff.attempts() >= self.config.reconnection_attempts {
            self.backoff.reset();
            self.reconnecting = false;
            self.events.push_back(Event::ReconnectFailed);
        } else {
            let delay = self.backoff.duration();
            self.reconnecting = true;
            self.reconnect_at = Some(now + delay);
        }
    }

    pub(super) fn on_decoded(
        &mut self,
        now: Instant,
        r: Result<Option<Packet>, crate::socket::DecodeError>,
    ) {
        match r {
            Ok(Some(p)) => self.on_packet(now, p),
            Ok(None) => {}
            Err(_) => self.on_close(now, DisconnectReason::ParseError),
        }
    }
}
