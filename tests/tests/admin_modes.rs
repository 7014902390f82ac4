//! The Admin UI namespace in its other configurations, driven by sio's own client over real
//! loopback sockets (the UI itself is tested in `admin_ui.rs`): production mode sends the
//! config and the periodic stats but no socket list or live events; readonly mode offers no
//! command and ignores them; a server without authentication takes any CONNECT.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sio_core::api::socketio::admin::{instrument, AdminAuth, AdminConfig, AdminMode};
use sio_core::api::socketio::{Socket, SocketIo, SocketIoConfig};
use sio_core::Value;
use sio_tests::servers;
use sio_tokio::client::{ClientSocket, Message};

/// What an admin client heard: event names with their first argument.
type Heard = Arc<Mutex<Vec<(String, Value)>>>;

async fn admin_client(port: u16) -> (sio_tokio::client::Client, ClientSocket, Heard) {
    let client = sio_tokio::client::client(&format!("http://127.0.0.1:{port}"))
        .build()
        .expect("client");
    let admin = client.socket("/admin");
    let heard: Heard = Arc::default();
    let h = heard.clone();
    admin.on_any(move |_s: ClientSocket, msg: Message| {
        let h = h.clone();
        async move {
            let first = msg.arg::<Value>(0).unwrap_or_default();
            h.lock().unwrap().push((msg.name().to_owned(), first));
        }
    });
    admin.connect();
    (client, admin, heard)
}

async fn wait_for(heard: &Heard, event: &str) -> Value {
    for _ in 0..300 {
        let found = heard
            .lock()
            .unwrap()
            .iter()
            .find(|(e, _)| e == event)
            .cloned();
        if let Some((_, v)) = found {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no {event}: {:?}", heard.lock().unwrap());
}

fn features(config: &Value) -> Vec<String> {
    let json: serde_json::Value = config.clone().deserialize_into().unwrap();
    serde_json::from_value(json["supportedFeatures"].clone()).unwrap()
}

fn server(mode: AdminMode, readonly: bool) -> u16 {
    servers::start_one(
        "tokio",
        SocketIoConfig::default(),
        Box::new(move |io: &SocketIo| {
            let mut config = AdminConfig::new(AdminAuth::None);
            config.mode = mode;
            config.readonly = readonly;
            config.server_id = Some("test".into());
            config.stats_interval = Duration::from_millis(100);
            instrument(io, config).expect("no hash to check");
            io.sockets().on_connection(|s: Socket| async move {
                let _ = s.join("room");
            });
        }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_mode_sends_stats_but_no_sockets_or_live_events() {
    let port = server(AdminMode::Production, false);
    let (_c, _admin, heard) = admin_client(port).await;
    let config = wait_for(&heard, "config").await;
    let f = features(&config);
    assert!(f.contains(&"AGGREGATED_EVENTS".to_owned()) && f.contains(&"MDISCONNECT".to_owned()));
    assert!(!f.contains(&"ALL_EVENTS".to_owned()), "{f:?}");
    let stats: serde_json::Value = wait_for(&heard, "server_stats")
        .await
        .deserialize_into()
        .unwrap();
    assert_eq!(stats["serverId"], "test");
    assert!(stats["namespaces"]
        .as_array()
        .is_some_and(|n| !n.is_empty()));
    // A client comes and goes: the stats count it, no live event is sent.
    let other = sio_tokio::client::client(&format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();
    other.socket("/").connect();
    tokio::time::sleep(Duration::from_millis(400)).await;
    other.close();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let names: Vec<String> = heard
        .lock()
        .unwrap()
        .iter()
        .map(|(e, _)| e.clone())
        .collect();
    for live in [
        "all_sockets",
        "socket_connected",
        "room_joined",
        "socket_disconnected",
    ] {
        assert!(!names.contains(&live.to_owned()), "{live} in {names:?}");
    }
    let connections: u64 = heard
        .lock()
        .unwrap()
        .iter()
        .filter(|(e, _)| e == "server_stats")
        .filter_map(|(_, v)| v.clone().deserialize_into::<serde_json::Value>().ok())
        .flat_map(|s| {
            s["aggregatedEvents"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|e| e["type"] == "rawConnection")
        .map(|e| e["count"].as_u64().unwrap_or(0))
        .sum();
    assert!(
        connections >= 2,
        "the admin client and the other: {connections}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readonly_mode_offers_and_obeys_no_command() {
    let port = server(AdminMode::Development, true);
    let (_c, admin, heard) = admin_client(port).await;
    let f = features(&wait_for(&heard, "config").await);
    assert_eq!(f, ["AGGREGATED_EVENTS", "ALL_EVENTS"]);
    let victim = sio_tokio::client::client(&format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();
    let socket = victim.socket("/");
    socket.connect();
    let connected = wait_for(&heard, "socket_connected").await;
    assert!(connected.get("rooms").is_some(), "{connected:?}");
    admin.emit("_disconnect", &("/", false)).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        socket.connected(),
        "a readonly dashboard disconnected a socket"
    );
}
