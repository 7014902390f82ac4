//! Replays the committed cargo-fuzz corpora (`fuzz/corpus/<target>/`) through the same
//! `sio_core::fuzzing` entry points the fuzz targets call, so every input the fuzzers kept
//! (and every past crash reproducer added there) is checked on stable by `cargo test`.

use std::fs;

/// Runs every file of `fuzz/corpus/<target>/` through `f`; fails if the corpus holds fewer
/// than `min_seeds` `seed-*` files (written by `fuzz/seeds.py`), so a missing corpus cannot
/// pass vacuously.
fn replay(target: &str, min_seeds: usize, f: fn(&[u8])) {
    let dir = sio_tests::workspace_root()
        .join("fuzz")
        .join("corpus")
        .join(target);
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let seeds = files
        .iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("seed-"))
        })
        .count();
    assert!(
        seeds >= min_seeds,
        "{}: expected at least {min_seeds} seed files, found {seeds} (run fuzz/seeds.py)",
        dir.display()
    );
    for path in &files {
        let data = fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let outcome = std::panic::catch_unwind(|| f(&data));
        // The input's first 200 bytes only: some corpus files are tens of kilobytes.
        assert!(
            outcome.is_ok(),
            "{target}: input {} ({} bytes) panicked: {:?}…",
            path.display(),
            data.len(),
            String::from_utf8_lossy(&data[..data.len().min(200)])
        );
    }
}

#[test]
fn eio_packet_corpus() {
    replay("eio_packet", 19, sio_core::fuzzing::eio_packet);
}

#[test]
fn eio_payload_corpus() {
    replay("eio_payload", 16, sio_core::fuzzing::eio_payload);
}

#[test]
fn webtransport_stream_corpus() {
    replay(
        "webtransport_stream",
        14,
        sio_core::fuzzing::webtransport_stream,
    );
}

#[test]
fn sio_packet_corpus() {
    replay("sio_packet", 23, sio_core::fuzzing::sio_packet);
}

#[test]
fn sio_binary_corpus() {
    replay("sio_binary", 18, sio_core::fuzzing::sio_binary);
}

#[test]
fn sio_msgpack_corpus() {
    replay("sio_msgpack", 60, sio_core::fuzzing::sio_msgpack);
}

#[test]
fn cluster_message_corpus() {
    replay("cluster_message", 18, |data| {
        sio_core::fuzzing::cluster_message(std::time::Instant::now(), data)
    });
}

#[test]
fn client_session_corpus() {
    replay("client_session", 4, |data| {
        sio_core::fuzzing::client_session(std::time::Instant::now(), data)
    });
}

#[test]
fn server_session_corpus() {
    replay("server_session", 7, |data| {
        sio_core::fuzzing::server_session(std::time::Instant::now(), data)
    });
}

/// The hand-written `server_session` seeds still reach the states they were written for (an
/// op renumbered in `sio_core::fuzzing` would otherwise leave them shallow without failing).
#[test]
fn server_session_seeds_reach_their_states() {
    use sio_core::fuzzing::{server_session_reach, Reach};
    let dir = sio_tests::workspace_root().join("fuzz/corpus/server_session");
    let reach = |n: usize| {
        let data = fs::read(dir.join(format!("seed-{n}"))).expect("seed file (run seeds.py)");
        server_session_reach(std::time::Instant::now(), &data)
    };
    let polling = reach(0);
    assert!(polling.sockets == 1 && polling.events == 2 && polling.acks == 1);
    assert_eq!(polling.disconnects, 1, "{polling:?}");
    let websocket = reach(1);
    assert!(
        websocket.sockets == 2 && websocket.events == 2,
        "{websocket:?}"
    );
    assert!(
        websocket.broadcast_acks == 1 && websocket.closes == 1,
        "{websocket:?}"
    );
    let upgrade = reach(2);
    assert!(upgrade.upgrades == 1 && upgrade.events == 1, "{upgrade:?}");
    assert_eq!(
        reach(3).recovered,
        1,
        "the recovery seed recovers its socket"
    );
    let timers = reach(4);
    assert!(timers.sessions == 3 && timers.closes == 3 && timers.sockets == 0);
    let bad = reach(5);
    assert!(bad.refusals >= 8, "{bad:?}");
    let v3 = reach(6);
    assert!(
        v3.sessions == 2 && v3.sockets == 1 && v3.upgrades == 1 && v3.events == 1,
        "{v3:?}"
    );
    assert!(
        v3.closes >= 1,
        "the v2 client that stopped pinging is dropped: {v3:?}"
    );
    assert_eq!(
        server_session_reach(std::time::Instant::now(), &[]),
        Reach::default()
    );
}

#[test]
fn compression_corpus() {
    replay("compression", 17, sio_core::fuzzing::compression);
}
