//! What every scenario works with: where and how it connects ([`Ctx`]), the log of what its
//! clients saw ([`Log`]), and the waiting and asking helpers.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value as Json};
use sio_core::api::client::{
    Auth, Client, ClientBuilder, ClientEvent, ClientSocket, ConnectErrorInfo, Message,
};
use sio_core::engine::server::TransportKind;
use sio_core::socket::client::SocketConfig;
use sio_core::Value;
use smol::channel::{unbounded, Receiver, Sender};

/// Makes a client builder for a URL on one driver.
pub type Maker = fn(&str) -> ClientBuilder;

/// Where and how a scenario connects.
#[derive(Clone)]
pub struct Ctx {
    /// The server (or a proxy in front of it).
    pub url: String,
    /// The client's transports.
    pub transports: &'static [TransportKind],
    /// The client driver.
    pub mk: Maker,
}

impl Ctx {
    /// A client builder with the scenario's transports and quick reconnection.
    pub fn builder(&self, url: &str) -> ClientBuilder {
        (self.mk)(url)
            .transports(self.transports)
            .reconnection_delay(Duration::from_millis(100))
            .reconnection_delay_max(Duration::from_millis(400))
    }

    pub(super) fn upgrades(&self) -> bool {
        self.transports.len() > 1
    }

    pub(super) fn final_transport(&self) -> &'static str {
        match self.transports.last() {
            Some(TransportKind::WebSocket) => "websocket",
            Some(TransportKind::WebTransport) => "webtransport",
            _ => "polling",
        }
    }
}

/// One thing a client saw: a name and its arguments as JSON (binary as `{"bin":[..]}`).
#[derive(Debug, Clone)]
pub struct Seen {
    /// `connect`, `disconnect`, `connect_error`, `open`, `reconnect`, … or an event name.
    pub name: String,
    /// The arguments.
    pub args: Vec<Json>,
}

/// What the handlers of a client saw, in order.
pub struct Log {
    tx: Sender<Seen>,
    rx: Receiver<Seen>,
    backlog: Vec<Seen>,
    pub(super) all: Arc<Mutex<Vec<Seen>>>,
}

impl Default for Log {
    fn default() -> Self {
        let (tx, rx) = unbounded();
        Log {
            tx,
            rx,
            backlog: Vec::new(),
            all: Arc::default(),
        }
    }
}

/// Binary values as `{"bin":[bytes]}`, everything else as JSON.
pub fn to_json(v: &Value) -> Json {
    match v {
        Value::Binary(b) => json!({ "bin": b.to_vec() }),
        Value::Array(a) => Json::Array(a.iter().map(to_json).collect()),
        Value::Object(o) => Json::Object(o.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
        other => other.clone().deserialize_into().unwrap_or(Json::Null),
    }
}

impl Log {
    pub(super) fn sink(&self) -> (Sender<Seen>, Arc<Mutex<Vec<Seen>>>) {
        (self.tx.clone(), self.all.clone())
    }

    pub(super) fn push(tx: &Sender<Seen>, all: &Mutex<Vec<Seen>>, name: &str, args: Vec<Json>) {
        let s = Seen {
            name: name.to_owned(),
            args,
        };
        all.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(s.clone());
        let _ = tx.try_send(s);
    }

    /// Records every event, connect, disconnect and connect error of `socket`.
    pub fn watch(&self, socket: &ClientSocket) {
        let (tx, all) = self.sink();
        socket.on_any(move |_, msg: Message| {
            let args = msg
                .values()
                .unwrap_or_default()
                .iter()
                .map(to_json)
                .collect();
            Log::push(&tx, &all, msg.name(), args);
            async {}
        });
        let (tx, all) = self.sink();
        socket.on_connect(move |s: ClientSocket| {
            Log::push(
                &tx,
                &all,
                "connect",
                vec![json!(s.id()), json!(s.recovered())],
            );
            async {}
        });
        let (tx, all) = self.sink();
        socket.on_disconnect(move |_, reason| {
            Log::push(&tx, &all, "disconnect", vec![json!(reason.as_str())]);
            async {}
        });
        let (tx, all) = self.sink();
        socket.on_connect_error(move |_, e: ConnectErrorInfo| {
            let data = e.data.as_ref().map_or(Json::Null, to_json);
            Log::push(&tx, &all, "connect_error", vec![json!(e.message), data]);
            async {}
        });
    }

    /// Records the connection's events (`open`, `close`, `reconnect_attempt`, …).
    pub fn watch_client(&self, client: &Client) {
        let (tx, all) = self.sink();
        client.on_event(move |_, e: ClientEvent| {
            let (name, args) = match e {
                ClientEvent::Open => ("open", vec![]),
                ClientEvent::Close(r) => ("close", vec![json!(r.as_str())]),
                ClientEvent::Error(m) => ("error", vec![json!(m)]),
                ClientEvent::Upgrade => ("upgrade", vec![]),
                ClientEvent::ReconnectAttempt(n) => ("reconnect_attempt", vec![json!(n)]),
                ClientEvent::Reconnect(n) => ("reconnect", vec![json!(n)]),
                ClientEvent::ReconnectError(m) => ("reconnect_error", vec![json!(m)]),
                ClientEvent::ReconnectFailed => ("reconnect_failed", vec![]),
                other => ("unknown", vec![json!(format!("{other:?}"))]),
            };
            Log::push(&tx, &all, name, args);
            async {}
        });
    }

    /// Waits (at most 10 s) for the next `name` not yet taken.
    pub async fn next(&mut self, name: &str) -> Vec<Json> {
        if let Some(i) = self.backlog.iter().position(|s| s.name == name) {
            return self.backlog.remove(i).args;
        }
        let all = self.all.clone();
        within(&format!("{name:?}"), Duration::from_secs(10), async {
            loop {
                let s = self.rx.recv().await.expect("log open");
                if s.name == name {
                    return s.args;
                }
                self.backlog.push(s);
            }
        })
        .await
        .unwrap_or_else(|| panic!("no {name:?} within 10 s; saw {:?}", all.lock().unwrap()))
    }

    /// How many `name` were seen so far.
    pub fn count(&self, name: &str) -> usize {
        self.all
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.name == name)
            .count()
    }

    /// Everything seen so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.all.lock().unwrap().clone()
    }
}

/// `f`, or `None` after `d`.
pub async fn within<T>(_what: &str, d: Duration, f: impl Future<Output = T>) -> Option<T> {
    smol::future::or(async { Some(f.await) }, async {
        smol::Timer::after(d).await;
        None
    })
    .await
}

/// Sleeps `ms` milliseconds (runtime-independent).
pub async fn sleep(ms: u64) {
    smol::Timer::after(Duration::from_millis(ms)).await;
}

/// Emits with an ack and returns its arguments as JSON.
pub async fn ask<T: serde::Serialize + ?Sized>(
    s: &ClientSocket,
    event: &str,
    args: &T,
) -> Vec<Json> {
    let fut = s.emit_with_ack_timeout(event, args, Duration::from_secs(5));
    let payload = fut
        .await
        .unwrap_or_else(|e| panic!("ack of {event:?} failed: {e}"));
    payload
        .to_value()
        .map(|v| match v {
            Value::Array(a) => a.iter().map(to_json).collect(),
            other => vec![to_json(&other)],
        })
        .expect("ack payload")
}

pub(super) fn auth(v: Json) -> SocketConfig {
    SocketConfig {
        auth: Auth::Static(Value::from_serialize(&v).expect("auth")),
        ..SocketConfig::default()
    }
}

/// Waits until the client runs on the scenario's last transport.
pub(super) async fn settled(ctx: &Ctx, log: &mut Log, client: &Client) {
    if ctx.upgrades() {
        log.next("upgrade").await;
    }
    let want = match ctx.final_transport() {
        "websocket" => TransportKind::WebSocket,
        "webtransport" => TransportKind::WebTransport,
        _ => TransportKind::Polling,
    };
    assert_eq!(client.transport(), Some(want));
}
