//! A request to its session: the reference's order of checks, handshakes (polling, WebSocket,
//! Engine.IO v3), long-poll GETs and POSTs, `OPTIONS` preflights, upgrade requests, and the
//! refusals with their error codes.

use super::*;

impl Server {
    /// How the answer to GET `req` may be compressed (`None` with HTTP compression off).
    pub(super) fn http_encoding(
        &self,
        req: &Request,
    ) -> Option<crate::compress::http::ContentEncoding> {
        self.config.http_compression?;
        crate::compress::http::negotiate(req.accept_encoding.as_deref())
    }

    /// An HTTP request arrived with its whole body: a long-poll GET, a POST, an `OPTIONS`
    /// preflight, or a WebSocket upgrade request (`req.websocket_upgrade`).
    ///
    /// Every request is answered by a [`Transmit`] addressed to `id`, now or (a parked GET)
    /// later; an upgrade request by [`Transmit::AcceptWebSocket`] or
    /// [`Transmit::RefuseWebSocket`].
    pub fn handle_request(&mut self, now: Instant, id: TransportId, req: Request) {
        self.out.now = Some(now);
        if !self.handles_path(&req.path) {
            self.out.respond(id, bare(404, Headers::new()));
            return;
        }
        if let (Some(cors), Method::Options) = (&self.config.cors, req.method) {
            let headers = cors::preflight_headers(cors, &req);
            self.out.respond(id, bare(204, headers));
            return;
        }
        let headers = cors::headers(self.config.cors.as_ref(), &req);
        let query = req.query_pairs();
        let param = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let transport = param("transport").unwrap_or("");
        let sid = param("sid").filter(|s| !s.is_empty());
        let upgrade = req.websocket_upgrade;
        let protocol = Protocol::from_query(param("EIO"));
        // The reference's `supportsBinary`: `b64` with any non-empty value asks for base64.
        let binary = param("b64").is_none_or(str::is_empty);
        let refused_version = protocol == Protocol::V3 && !self.config.allow_eio3;

        if let Err((code, message)) = self.verify(&req, transport, sid, upgrade, protocol) {
            let message = message.as_deref().unwrap_or(code.message());
            request::refused(&req, code, message);
            if upgrade {
                self.refuse_ws(id, message);
            } else {
                self.out.metrics.bad_requests += 1;
                let mut headers = headers;
                headers.push(("content-type", Str::from_static("application/json")));
                let body = Bytes::from(code.body_with_message(message));
                self.out.respond(
                    id,
                    Response {
                        status: code.status(),
                        headers,
                        body,
                        encode_with: None,
                    },
                );
            }
            return;
        }

        if upgrade {
            if let Some(why) = req.websocket_refusal {
                // After the Engine.IO checks, the WebSocket library's own (as the reference).
                self.refuse_ws(id, why);
                return;
            }
            if sid.is_none() && refused_version {
                self.refuse_ws(id, ErrorCode::UnsupportedProtocolVersion.message());
                return;
            }
            let deflate = match &self.config.per_message_deflate {
                None => None,
                Some(cfg) => match deflate::server_accept(cfg, req.websocket_extensions.as_deref())
                {
                    Ok(agreed) => agreed,
                    Err(_) => {
                        // `ws` answers a header it cannot accept with 400 (after the key and
                        // version checks, as here).
                        self.refuse_ws(id, deflate::INVALID_HEADER);
                        return;
                    }
                },
            };
            let pending = PendingWs {
                sid: sid.map(|s| Str::from(s.to_owned())),
                protocol,
                binary,
                refuse: transport != "websocket",
                origin: req.origin.clone(),
                headers: req.headers.clone(),
                remote_address: req.remote_address.clone(),
                secure: req.secure,
                query,
            };
            self.pending_ws.insert(id, pending);
            self.out
                .transmits
                .push_back(Transmit::AcceptWebSocket { to: id, deflate });
            return;
        }

        if let Some(sid) = sid {
            let encoding = self.http_encoding(&req);
            let key = Bytes::copy_from_slice(sid.as_bytes());
            let Some(session) = self.sessions.get_mut(&key) else {
                return; // `verify` checked it exists.
            };
            match req.method {
                Method::Get => session.handle_get(id, headers, encoding, &mut self.out),
                Method::Post => {
                    session.handle_post(now, id, req, headers, &self.config, &mut self.out)
                }
                // The reference's polling transport answers other methods 500.
                Method::Options | Method::Other => self.out.respond(id, bare(500, headers)),
            }
            self.settle(&key);
            return;
        }

        // A polling handshake.
        let unsupported = if refused_version {
            Some(ErrorCode::UnsupportedProtocolVersion)
        } else if protocol == Protocol::V3 && param("j").is_some() {
            // JSONP polling (`j=`) is not built: refused as the reference refuses a transport
            // it cannot create ("Bad request"), rather than answered in a form the client
            // cannot read.
            Some(ErrorCode::BadRequest)
        } else {
            None
        };
        if let Some(code) = unsupported {
            self.out.metrics.bad_requests += 1;
            request::refused(&req, code, code.message());
            let mut headers = headers;
            headers.push(("content-type", Str::from_static("application/json")));
            let response = Response {
                status: code.status(),
                headers,
                body: Bytes::from(code.body()),
                encode_with: None,
            };
            self.out.respond(id, response);
            return;
        }
        let sid = self.new_sid();
        let mut headers = headers;
        if let Some(cookie) = &self.cookie {
            // The reference's `cookie`: on this answer only (see `cookie.rs`).
            headers.push(("set-cookie", Str::from(cookie.value(&sid))));
        }
        let transport = session::Transport { protocol, binary };
        let get = session::ParkedGet {
            id,
            headers,
            encoding: self.http_encoding(&req),
        };
        let session = Session::open_polling(
            now,
            sid.clone(),
            get,
            transport,
            &self.config,
            &mut self.out,
        );
        let peer = Peer {
            origin: req.origin,
            headers: req.headers,
            remote_address: req.remote_address,
            secure: req.secure,
        };
        self.opened(sid, session, TransportKind::Polling, protocol, query, peer);
    }

    /// Checks a request in the reference's order: transport, origin, sid, then (handshakes)
    /// method, WebSocket-needs-upgrade and `allow_request`.
    pub(super) fn verify(
        &self,
        req: &Request,
        transport: &str,
        sid: Option<&str>,
        upgrade: bool,
        protocol: Protocol,
    ) -> Result<(), (ErrorCode, Option<String>)> {
        if !self.config.transports.allows(transport) {
            return Err((ErrorCode::UnknownTransport, None));
        }
        if req.origin.as_deref().is_some_and(invalid_header_value) {
            return Err((ErrorCode::BadRequest, None));
        }
        if let Some(sid) = sid {
            let s = self
                .sessions
                .get(sid.as_bytes())
                .ok_or((ErrorCode::UnknownSid, None))?;
            if !upgrade && s.transport().name() != transport {
                return Err((ErrorCode::BadRequest, None));
            }
            if s.protocol() != protocol {
                // The reference's "unexpected protocol version" (`EIO` changed mid-session).
                return Err((ErrorCode::BadRequest, None));
            }
            if !upgrade && transport == "websocket" {
                // A plain request on a WebSocket session: the reference hands it to the
                // WebSocket transport, which never answers it (the client waits until its own
                // timeout); a 400 tells it at once and holds nothing.
                return Err((ErrorCode::BadRequest, None));
            }
            return Ok(());
        }
        if req.method != Method::Get {
            return Err((ErrorCode::BadHandshakeMethod, None));
        }
        if transport == "websocket" && !upgrade {
            return Err((ErrorCode::BadRequest, None));
        }
        if let Some(allow) = &self.config.allow_request {
            allow(req).map_err(|m| (ErrorCode::Forbidden, m))?;
        }
        Ok(())
    }

    /// The reference's `abortUpgrade`: always 400, the message as `text/html`.
    pub(super) fn refuse_ws(&mut self, id: TransportId, message: &str) {
        self.out.metrics.bad_requests += 1;
        let headers = vec![
            ("connection", Str::from_static("close")),
            ("content-type", Str::from_static("text/html")),
        ];
        let response = Response {
            status: 400,
            headers,
            body: Bytes::from(message.to_owned()),
            encode_with: None,
        };
        self.out
            .transmits
            .push_back(Transmit::RefuseWebSocket { to: id, response });
    }

    pub(super) fn new_sid(&mut self) -> Str {
        loop {
            let sid = self.sids.next_sid();
            if !self.sessions.contains_key(sid.as_bytes()) {
                return sid;
            }
        }
    }

    pub(super) fn opened(
        &mut self,
        sid: Str,
        session: Session,
        transport: TransportKind,
        protocol: Protocol,
        query: Vec<(String, String)>,
        peer: Peer,
    ) {
        let key = sid.bytes().clone();
        self.sessions.insert(key.clone(), Box::new(session));
        self.out.metrics.opened[transport.index()] += 1;
        tracing::info!(
            sid = sid.as_str(),
            transport = transport.name(),
            peer = peer.remote_address.as_deref().unwrap_or("-"),
            "Engine.IO handshake"
        );
        self.out.events.push_back(Event::SessionOpened {
            sid,
            transport,
            protocol,
            query,
            origin: peer.origin,
            headers: peer.headers,
            remote_address: peer.remote_address,
            secure: peer.secure,
        });
        self.settle(&key);
    }
}

/// Node's `checkInvalidHeaderChar`: anything but tab, visible ASCII, space and bytes ≥ 0x80.
fn invalid_header_value(v: &str) -> bool {
    v.bytes()
        .any(|b| !(b == b'\t' || (0x20..=0x7e).contains(&b) || b >= 0x80))
}
