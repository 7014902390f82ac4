//! The server side of the Socket.IO Admin UI (`@socket.io/admin-ui` 0.5): [`instrument`]
//! serves the dashboard's namespace (`/admin` by default) as the package's `instrument(io,
//! options)` does on a Node server, so the official UI (its static build, or the hosted one)
//! shows and steers a sio server, or a cluster of sio and Node servers.
//!
//! What the UI gets, as from the reference: on connecting, `session` (after a password
//! login), `config` (`supportedFeatures`) and, in development mode, `all_sockets` (every
//! socket of every namespace, from every server of the cluster); every 2 s each server's
//! `server_stats` (server id, hostname, pid, uptime, clients, polling clients, sockets per
//! namespace, and the connections, disconnections, messages and bytes of the interval); in
//! development mode `socket_connected`, `socket_updated` (transport upgrades),
//! `socket_disconnected`, `room_joined`, `room_left`, `event_received` and `event_sent`.
//! What it may do (unless `readonly`): `emit`, `join`, `leave` and `_disconnect`, on a
//! namespace, its sockets in a room (a socket's id is a room), across the cluster.
//!
//! It is an application of the public API: a namespace with a middleware and a connection
//! handler, [`SocketIo::observe`] for the activity, [`SocketIo::metrics`] for the stats, the
//! server's timer for the interval, and the cluster operations (`fetch_cluster_sockets`,
//! `sockets_join`, …); every message to the UI is a broadcast to the admin namespace, which
//! a cluster forwards to the UIs connected to the other servers.

mod auth;
mod serialize;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};

use super::{Activity, Namespace, Socket, SocketIo};
use crate::socket::Event;
use crate::{Str, Value};
use auth::Sessions;
pub use auth::{AdminAuth, InvalidHash};

/// How the UI is fed: [`Development`](Self::Development) sends every socket, room and event
/// as it happens; [`Production`](Self::Production) only the periodic stats (the reference's
/// `mode`, which defaults to `NODE_ENV` or development).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AdminMode {
    /// Every socket, room and event.
    #[default]
    Development,
    /// Aggregated stats only, for servers with many sockets.
    Production,
}

/// The options of [`instrument`], as those of the reference's `instrument(io, options)`.
#[derive(Debug, Clone)]
pub struct AdminConfig {
    /// The dashboard's namespace (default `/admin`).
    pub namespace: String,
    /// Who may connect: [`AdminAuth::None`] (anyone: use with caution), or a user name and a
    /// bcrypt hash of the password. The reference makes this option mandatory too.
    pub auth: AdminAuth,
    /// No join, leave, disconnect or emit from the UI.
    pub readonly: bool,
    /// This server's id in the UI (default: the hostname and the process id, `host#pid`;
    /// the servers of a cluster must differ).
    pub server_id: Option<String>,
    /// The hostname shown (drivers' `instrument` fill it from the OS; the core reads none).
    pub hostname: String,
    /// [`AdminMode::Development`] (default) or [`AdminMode::Production`].
    pub mode: AdminMode,
    /// How often `server_stats` is sent (the reference: 2 s).
    pub stats_interval: Duration,
}

impl AdminConfig {
    /// Options with `auth` and the reference's defaults for the rest.
    pub fn new(auth: AdminAuth) -> Self {
        AdminConfig {
            namespace: "/admin".to_owned(),
            auth,
            readonly: false,
            server_id: None,
            hostname: String::new(),
            mode: AdminMode::Development,
            stats_interval: Duration::from_secs(2),
        }
    }
}

/// What the UI may ask for (the reference's `Feature`s).
const FEATURES: [&str; 7] = [
    "EMIT",
    "JOIN",
    "LEAVE",
    "DISCONNECT",
    "MJOIN",
    "MLEAVE",
    "MDISCONNECT",
];

/// The instrumentation of one server (see the module docs).
struct Admin {
    nsp: Str,
    /// A password is asked: a login gets a session id.
    basic: bool,
    readonly: bool,
    development: bool,
    sessions: Sessions,
    base: Json,
    started: Instant,
    last: Mutex<Option<crate::engine::server::EngineMetrics>>,
}

/// Serves the Admin UI's namespace on `io` (see the module docs). Fails if the password hash
/// is not a bcrypt hash. Call it once, before clients connect: sockets already connected are
/// listed but their earlier activity is not.
pub fn instrument(io: &SocketIo, config: AdminConfig) -> Result<Namespace, InvalidHash> {
    auth::check(&config.auth)?;
    let admin_nsp = io.of(&config.namespace);
    let pid = std::process::id();
    let hostname = if config.hostname.is_empty() {
        "sio".to_owned()
    } else {
        config.hostname.clone()
    };
    let server_id = config
        .server_id
        .clone()
        .unwrap_or_else(|| format!("{hostname}#{pid}"));
    let admin = Arc::new(Admin {
        nsp: admin_nsp.name.clone(),
        basic: matches!(config.auth, AdminAuth::Basic { .. }),
        readonly: config.readonly,
        development: config.mode == AdminMode::Development,
        sessions: Sessions::default(),
        base: json!({ "serverId": server_id, "hostname": hostname, "pid": pid }),
        started: io.rt().now(),
        last: Mutex::new(None),
    });
    auth::install(&admin_nsp, config.auth.clone(), admin.sessions.clone());
    let a = admin.clone();
    admin_nsp.on_connection(move |socket: Socket| {
        let a = a.clone();
        async move { a.connected(socket).await }
    });
    if admin.development {
        let a = admin.clone();
        io.observe(move |socket, activity| a.observed(socket, activity));
        // Sockets already there get their `_admin` data, as new ones will.
        for nsp in io.namespaces() {
            for info in nsp.fetch_sockets() {
                let socket = Socket {
                    io: io.clone(),
                    id: info.id.clone(),
                    nsp: nsp.name.clone(),
                };
                admin.tag(&socket);
            }
        }
    }
    let a = admin.clone();
    io.every(config.stats_interval, move |io| a.emit_stats(io));
    Ok(admin_nsp)
}

impl Admin {
    /// Broadcasts `[event, ...args]` to every UI (on every server of a cluster).
    fn tell(&self, io: &SocketIo, event: &str, args: &[Json]) {
        let values: Vec<Value> = args
            .iter()
            .filter_map(|a| Value::from_serialize(a).ok())
            .collect();
        let ns = Namespace {
            io: io.clone(),
            name: self.nsp.clone(),
        };
        ns.operator().emit_event(Event::from_values(event, &values));
    }

    fn now_iso(&self, io: &SocketIo) -> Json {
        Json::from(serialize::iso_date(io.rt().unix_millis()))
    }

    /// A UI connected: its commands, the config, and (development) every socket.
    async fn connected(self: Arc<Self>, socket: Socket) {
        if let Some(session) = self.basic.then(|| self.sessions.login(&socket)).flatten() {
            let _ = socket.emit("session", &session);
        }
        let mut features: Vec<&str> = if self.readonly {
            Vec::new()
        } else {
            FEATURES.to_vec()
        };
        features.push("AGGREGATED_EVENTS");
        if self.development {
            features.push("ALL_EVENTS");
        }
        if !self.readonly {
            commands(&socket);
        }
        let _ = socket.emit("config", &json!({ "supportedFeatures": features }));
        if !self.development {
            return;
        }
        let mut all = Vec::new();
        for nsp in socket.io.namespaces() {
            let Ok(sockets) = nsp.fetch_cluster_sockets().await else {
                continue;
            };
            for info in &sockets {
                let local = Socket {
                    io: socket.io.clone(),
                    id: info.id.clone(),
                    nsp: nsp.name.clone(),
                };
                let (client_id, transport) = local_details(&local);
                all.push(serialize::socket(
                    info,
                    &nsp.name,
                    client_id.as_deref(),
                    transport.as_deref(),
                ));
            }
        }
        let _ = socket.emit("all_sockets", &Json::Array(all));
    }

    /// Keeps the client id and transport in the socket's data, where they travel with it to
    /// the other servers of a cluster (as the reference's `socket.data._admin`).
    fn tag(&self, socket: &Socket) {
        let (Some(client_id), Some(transport)) = local_details(socket) else {
            return;
        };
        let mut data: Json = socket.data().unwrap_or(Json::Null);
        if data.is_null() {
            data = json!({});
        }
        if let Json::Object(m) = &mut data {
            m.insert(
                serialize::ADMIN_KEY.to_owned(),
                json!({ "clientId": client_id, "transport": transport }),
            );
            let _ = socket.set_data(&data);
        }
    }

    /// One activity of one socket, told to the UIs (development mode).
    fn observed(&self, socket: &Socket, activity: &Activity) {
        let io = &socket.io;
        let nsp = Json::from(socket.namespace());
        let id = Json::from(socket.id().as_str());
        let now = self.now_iso(io);
        let admin_nsp = socket.nsp == self.nsp;
        match activity {
            Activity::Connected => {
                self.tag(socket);
                let Some(info) = socket_info(socket) else {
                    return;
                };
                let (client_id, transport) = local_details(socket);
                let s = serialize::socket(
                    &info,
                    socket.namespace(),
                    client_id.as_deref(),
                    transport.as_deref(),
                );
                self.tell(io, "socket_connected", &[s, now]);
            }
            Activity::Upgraded => {
                self.tag(socket);
                let s = json!({ "id": id, "nsp": nsp, "transport": "websocket" });
                self.tell(io, "socket_updated", &[s]);
            }
            Activity::Disconnected(reason) => {
                let reason = Json::from(reason.as_str());
                self.tell(io, "socket_disconnected", &[nsp, id, reason, now]);
            }
            Activity::RoomJoined(room) => {
                let room = Json::from(room.as_str());
                self.tell(io, "room_joined", &[nsp, room, id, now]);
            }
            Activity::RoomLeft(room) => {
                let room = Json::from(room.as_str());
                self.tell(io, "room_left", &[nsp, room, id, now]);
            }
            Activity::EventReceived(event) | Activity::EventSent(event) if !admin_nsp => {
                let name = match activity {
                    Activity::EventReceived(_) => "event_received",
                    _ => "event_sent",
                };
                let mut args = vec![Json::from(event.name().as_str())];
                if let Ok(values) = event.args() {
                    let json = values.into_iter().map(|v| v.deserialize_into());
                    args.extend(json.map(|v| v.unwrap_or(Json::Null)));
                }
                self.tell(io, name, &[nsp, id, Json::Array(args), now]);
            }
            Activity::EventReceived(_) | Activity::EventSent(_) => {}
        }
    }

    /// Sends this server's `server_stats` to every UI (the interval goes on with the server).
    fn emit_stats(&self, io: &SocketIo) -> bool {
        let m = io.metrics();
        let millis = io.rt().unix_millis();
        let second = millis - millis % 1000;
        let mut events = Vec::new();
        {
            let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            let prev = last.clone().unwrap_or_default();
            let e = &m.engine;
            let mut push = |kind: &str, sub: Option<&str>, count: u64| {
                if count > 0 {
                    let mut ev = json!({ "timestamp": second, "type": kind, "count": count });
                    if let Some(sub) = sub {
                        ev["subType"] = Json::from(sub);
                    }
                    events.push(ev);
                }
            };
            let opened = |m: &crate::engine::server::EngineMetrics| m.opened.iter().sum::<u64>();
            push("rawConnection", None, opened(e) - opened(&prev));
            for r in crate::engine::server::CloseReason::ALL {
                let n = e.closed_for(r) - prev.closed_for(r);
                push("rawDisconnection", Some(r.as_str()), n);
            }
            push("packetsIn", None, e.messages_in - prev.messages_in);
            push("packetsOut", None, e.messages_out - prev.messages_out);
            push("bytesIn", None, e.bytes_in - prev.bytes_in);
            push("bytesOut", None, e.bytes_out - prev.bytes_out);
            *last = Some(m.engine.clone());
        }
        let namespaces: Vec<Json> = m
            .sockets
            .sockets
            .iter()
            .map(|(name, count)| json!({ "name": name.as_str(), "socketsCount": count }))
            .collect();
        let mut stats = self.base.clone();
        let uptime = io.rt().now().saturating_duration_since(self.started);
        stats["uptime"] = Json::from(uptime.as_secs_f64());
        stats["clientsCount"] = Json::from(m.engine.open.iter().sum::<u64>());
        stats["pollingClientsCount"] = Json::from(
            m.engine
                .open_on(crate::engine::server::TransportKind::Polling),
        );
        stats["aggregatedEvents"] = Json::Array(events);
        stats["namespaces"] = Json::Array(namespaces);
        self.tell(io, "server_stats", &[stats]);
        true
    }
}

/// The id, handshake, rooms and data of a socket of this server.
fn socket_info(socket: &Socket) -> Option<crate::socket::server::SocketInfo> {
    Some(crate::socket::server::SocketInfo {
        id: socket.id().clone(),
        handshake: socket.handshake()?,
        rooms: socket.rooms(),
        data: socket
            .data::<Json>()
            .and_then(|d| Value::from_serialize(&d).ok())
            .unwrap_or(Value::Null),
    })
}

/// The client id and transport of a socket, if it is this server's.
fn local_details(socket: &Socket) -> (Option<String>, Option<String>) {
    let client_id = socket.client_id().map(|c| c.as_str().to_owned());
    let transport = socket.transport().map(|t| t.name().to_owned());
    (client_id, transport)
}

/// The UI's commands on its socket (the reference's `registerFeatureHandlers`, Socket.IO v4
/// flavour: each acts on a namespace's sockets in a room, or all of them, cluster-wide).
fn commands(socket: &Socket) {
    socket.on("emit", |s: Socket, msg: super::Message| async move {
        let Ok(values) = msg.values() else { return };
        let (Some(nsp), Some(ev)) = (
            values.first().and_then(Value::as_str),
            values.get(2).and_then(Value::as_str),
        ) else {
            return;
        };
        let filter = values.get(1).and_then(Value::as_str);
        let op = group(&s.io, nsp, filter);
        op.emit_event(Event::from_values(ev, values.get(3..).unwrap_or_default()));
    });
    for (event, join) in [("join", true), ("leave", false)] {
        socket.on(event, move |s: Socket, msg: super::Message| async move {
            let Ok(values) = msg.values() else { return };
            let (Some(nsp), Some(room)) = (
                values.first().and_then(Value::as_str),
                values.get(1).and_then(Value::as_str),
            ) else {
                return;
            };
            let op = group(&s.io, nsp, values.get(2).and_then(Value::as_str));
            if join {
                op.sockets_join(&[room]);
            } else {
                op.sockets_leave(room);
            }
        });
    }
    socket.on("_disconnect", |s: Socket, msg: super::Message| async move {
        let Ok(values) = msg.values() else { return };
        let Some(nsp) = values.first().and_then(Value::as_str) else {
            return;
        };
        let close = matches!(values.get(1), Some(Value::Bool(true)));
        let op = group(&s.io, nsp, values.get(2).and_then(Value::as_str));
        op.disconnect_sockets(close);
    });
}

/// The sockets of namespace `nsp` in room `filter`, or all of them.
fn group(io: &SocketIo, nsp: &str, filter: Option<&str>) -> super::BroadcastOperator {
    let ns = io.of(nsp);
    match filter.filter(|f| !f.is_empty()) {
        Some(room) => ns.to(room.to_owned()),
        None => ns.operator(),
    }
}
