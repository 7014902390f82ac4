//! End to end in a real browser: two headless Chromium pages (Debian's `chromium`, driven by
//! playwright-core, `tests/js/browser-chat.mjs`) chat through the demo server
//! (`src/bin/demo.rs`: axum + sio mounted as a tower layer): nicknames, a room, the user list,
//! the typing indicator, and messages both ways. `tests/install-browser.sh` installs chromium.

use sio_tests::peers::{run_scenario, ServerProcess};

#[test]
fn two_chromium_pages_chat_through_the_demo() {
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists(),
        "chromium is missing: run tests/install-browser.sh (tests/run.sh does)"
    );
    let demo = ServerProcess::start(env!("CARGO_BIN_EXE_demo"), &["--port", "0"]);
    let r = run_scenario("browser-chat.mjs", &demo.url(), "browser-chat", &[]);
    assert!(r.ok, "browser chat failed: {}", r.line);
}
