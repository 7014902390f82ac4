//! Shared pieces of sio's server benchmarks: the wire format the load generator speaks
//! ([`wire`]), what it reads about the server from `/proc` ([`procfs`]) and how it summarizes
//! latencies ([`stats`]); [`polling`] is its long-polling client, [`wt`] its WebTransport one.
//!
//! The binaries: `loadgen` (the load generator), `raw-echo` (the ceiling: async-tungstenite
//! with no Socket.IO work), `sio-server` (sio on tokio or smol) and `sioxide-server`
//! (socketioxide). `node/server.mjs` is the Node.js reference. `run.sh` runs them all.

pub mod polling;
pub mod procfs;
pub mod stats;
pub mod wire;
pub mod wt;
