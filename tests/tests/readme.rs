//! The README's quick start is the `axum` example of sio-tokio, word for word, so CI compiles
//! it (`cargo test --all-targets` builds every example) and runs it (`tests/examples.rs`).

use sio_tests::workspace_root;

/// The first ```` ```rust ```` block of `markdown` (```` ```rust,no_run ```` too).
fn first_rust_block(markdown: &str) -> Option<&str> {
    let fence = markdown.find("```rust")?;
    let start = fence + markdown[fence..].find('\n')? + 1;
    let len = markdown[start..].find("\n```")? + 1;
    Some(&markdown[start..start + len])
}

#[test]
fn readme_quick_start_is_the_axum_example() {
    let root = workspace_root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let example = std::fs::read_to_string(root.join("tokio-driver/examples/axum.rs"))
        .expect("tokio-driver/examples/axum.rs");
    let quick_start = first_rust_block(&readme).expect("a rust block in README.md");
    assert!(
        quick_start == example,
        "README.md's first rust block differs from tokio-driver/examples/axum.rs; copy the \
         example into the README"
    );
}

#[test]
fn crate_readmes_start_with_the_axum_example_too() {
    // sio-tokio's README (what crates.io shows) opens with the same program.
    let root = workspace_root();
    let readme = std::fs::read_to_string(root.join("tokio-driver/README.md")).expect("README");
    let example = std::fs::read_to_string(root.join("tokio-driver/examples/axum.rs"))
        .expect("tokio-driver/examples/axum.rs");
    assert_eq!(first_rust_block(&readme), Some(example.as_str()));
}
