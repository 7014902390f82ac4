//! Prints a `server_session` input as the session it is: every step and every output of the
//! servers (`cargo run --manifest-path fuzz/Cargo.toml --example trace -- FILE...`).

fn main() {
    for path in std::env::args().skip(1) {
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
        eprintln!("== {path}");
        let reach = sio_core::fuzzing::server_session_trace(std::time::Instant::now(), &data);
        eprintln!("{reach:?}");
    }
}
