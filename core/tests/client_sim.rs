//! Simulation tests of the sans-IO client (`engine::client::Client` under
//! `socket::client::Manager`) in virtual time: the test plays the server, answering each HTTP
//! request and WebSocket by hand, and moves the clock itself. Covers the reconnection backoff
//! schedule, the polling → WebSocket upgrade sequence, the offline buffers, acks and retries,
//! the heartbeat, POST batching and the disconnect reasons, against the behaviour of
//! `socket.io-client` 4.8 / `engine.io-client` 6.6.

mod support_client;

use support_client::*;

fn nsp(s: &str) -> Str {
    Str::from(s.to_owned())
}

fn connect_error(why: &str) -> Event {
    Event::ConnectError {
        nsp: nsp("/"),
        message: why.to_owned(),
        data: None,
    }
}

const REFUSED: &str = "xhr poll error (ECONNREFUSED)";

fn upgrading() -> ManagerConfig {
    let mut c = config();
    c.engine.upgrade = true;
    c
}

fn hs_ws() -> String {
    r#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#
        .to_owned()
}

fn ack() -> EmitOptions {
    EmitOptions {
        ack: true,
        ..EmitOptions::default()
    }
}

fn ack_within(ms: u64) -> EmitOptions {
    EmitOptions {
        ack: true,
        timeout: Some(Duration::from_millis(ms)),
        ..EmitOptions::default()
    }
}

fn volatile() -> EmitOptions {
    EmitOptions {
        volatile: true,
        ..EmitOptions::default()
    }
}

fn acked(h: AckHandle, result: Result<Payload, AckFailure>) -> Event {
    Event::Ack {
        nsp: nsp("/"),
        handle: h,
        result,
    }
}

#[path = "client_sim/backoff.rs"]
mod backoff;
#[path = "client_sim/buffer.rs"]
mod buffer;
#[path = "client_sim/connection.rs"]
mod connection;
#[path = "client_sim/end_to_end.rs"]
mod end_to_end;
#[path = "client_sim/limits.rs"]
mod limits;
#[path = "client_sim/upgrade.rs"]
mod upgrade;
#[path = "client_sim/webtransport.rs"]
mod webtransport;
