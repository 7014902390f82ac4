//! The behaviour of the Engine.IO echo servers used by the interop tests (one per driver),
//! as `tests/js/eio-scenarios.mjs` expects it.

use sio_core::engine::Packet;
use sio_core::Str;

/// What the echo does with one message from a client: the packets to send back, and whether
/// to close the session afterwards. Every message goes back unchanged; `close-me` closes the
/// session; `send-burst:<n>` sends `burst-0` … `burst-<n-1>`.
pub fn answer(packet: Packet) -> (Vec<Packet>, bool) {
    if let Packet::Message(text) = &packet {
        if text.as_str() == "close-me" {
            return (Vec::new(), true);
        }
        if let Some(n) = text.strip_prefix("send-burst:") {
            let n: usize = n.parse().unwrap_or(0);
            let burst = (0..n)
                .map(|i| Packet::Message(Str::from(format!("burst-{i}"))))
                .collect();
            return (burst, false);
        }
    }
    (vec![packet], false)
}
