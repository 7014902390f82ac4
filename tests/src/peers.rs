//! Real peers for interop tests: our servers as child processes, Node scripts as clients.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::workspace_root;

/// A server child process, killed on drop.
pub struct ServerProcess {
    child: Child,
    /// The loopback port it listens on.
    pub port: u16,
}

impl ServerProcess {
    /// Starts `exe` with `args` and waits for its `listening <port>` line.
    pub fn start(exe: &str, args: &[&str]) -> ServerProcess {
        Self::start_with_env(exe, args, &[])
    }

    /// [`start`](Self::start) with these environment variables set. What the server prints
    /// after its first line goes to the test's output (shown when a test fails).
    pub fn start_with_env(exe: &str, args: &[&str], env: &[(&str, &str)]) -> ServerProcess {
        let mut child = Command::new(exe)
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {exe}: {e}"));
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("server output");
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("{exe} printed {line:?} instead of `listening <port>`"));
        // Keep reading: a server that prints more must not find its stdout closed.
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                println!("[server {port}] {line}");
            }
        });
        ServerProcess { child, port }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The folder of the npm peers (`tests/js`), checked to be installed.
pub fn js_dir() -> PathBuf {
    let dir = workspace_root().join("tests/js");
    assert!(
        dir.join("node_modules").is_dir(),
        "npm packages missing: run `npm ci --prefix tests/js` (tests/run.sh does)"
    );
    dir
}

/// The result line of a Node scenario script.
#[derive(Debug)]
pub struct ScenarioResult {
    /// Whether the script judged the scenario passed.
    pub ok: bool,
    /// The whole JSON line it printed (observations, for the failure message).
    pub line: String,
}

/// Runs `node <script> --url <url> --scenario <name> <extra…>` with a time limit.
pub fn run_scenario(script: &str, url: &str, name: &str, extra: &[&str]) -> ScenarioResult {
    let dir = js_dir();
    let mut child = Command::new("node")
        .arg(dir.join(script))
        .args(["--url", url, "--scenario", name])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node must be installed");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(_status) = child.try_wait().expect("wait") {
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("scenario {name} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = stdout.lines().last().unwrap_or_default().to_owned();
    let ok = out.status.success() && line.contains("\"ok\":true");
    if !ok {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    }
    ScenarioResult { ok, line }
}
