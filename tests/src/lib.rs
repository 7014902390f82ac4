//! Shared helpers of sio's integration, simulation and interop tests.
//!
//! The tests themselves live in `tests/tests/`; this library holds what several of them use.

use std::path::PathBuf;

/// The workspace root (the folder holding `core/`, `fuzz/`, `tests/`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

pub mod bad_input;
pub mod client_scenarios;
pub mod cluster_script;
pub mod echo;
pub mod peers;
pub mod proxy;
pub mod redis;
pub mod servers;
pub mod sim;
pub mod soak;
