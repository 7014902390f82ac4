//! The async layer's lifecycle.

use std::sync::Arc;

use sio_core::api::socketio::{SocketIo, SocketIoConfig};
use sio_core::api::{BoxFuture, Runtime};

struct Nop;

impl Runtime for Nop {
    fn spawn(&self, _: BoxFuture) {}
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> std::time::Instant {
        std::time::Instant::now()
    }
    fn unix_millis(&self) -> u64 {
        0
    }
}

#[test]
fn a_dropped_server_is_freed() {
    let rt: Arc<dyn Runtime> = Arc::new(Nop);
    let io = SocketIo::new(SocketIoConfig::default(), rt.clone());
    io.of("/chat").on_connection(|_| async {});
    assert!(Arc::strong_count(&rt) > 1);
    drop(io);
    // No reference cycle between the server and its Socket.IO layer.
    assert_eq!(Arc::strong_count(&rt), 1);
}
