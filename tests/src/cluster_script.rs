//! Runs the cluster scenario scripts of `tests/js` (`cluster-*.mjs`) against nodes started
//! by a test, answering the signals of the interactive phases.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::peers::js_dir;

/// Runs `node tests/js/<script> <args>`; every line it prints is echoed and given to
/// `on_line`, whose answer (if any) is written to the script's stdin (the interactive phases
/// print `ready` and wait for the test to break something). Fails the test unless the script
/// ends within `within` with a last line `{"ok":true,…}`. Returns everything it printed.
pub fn run_script(
    script: &str,
    args: &[&str],
    within: Duration,
    mut on_line: impl FnMut(&str) -> Option<String>,
) -> String {
    let mut child = Command::new("node")
        .arg(js_dir().join(script))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node must be installed");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + within;
    let mut out = String::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left.max(Duration::from_millis(1))) {
            Ok(line) => {
                println!("{line}");
                if let Some(answer) = on_line(&line) {
                    let _ = writeln!(stdin, "{answer}");
                    let _ = stdin.flush();
                }
                out.push_str(&line);
                out.push('\n');
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{script} {args:?} hung:\n{out}");
            }
        }
    }
    let status = child.wait().expect("wait");
    let last = out.lines().last().unwrap_or_default();
    assert!(
        status.success() && last.contains("\"ok\":true"),
        "{script} {args:?} failed:\n{out}"
    );
    out
}
