//! A real TimescaleDB for one test: PGlite (PostgreSQL 17 in WASM) with TimescaleDB 2.23,
//! started through `scripts/timescale.sh serve` (which installs its npm packages from
//! `testkit/timescale/package-lock.json` first) on a free port, and stopped when dropped.
//!
//! Each test gets its own server, so tests of the Timescale path run in parallel with
//! everything else. Within one server: one client at a time (a second connection waits
//! until the first closes: use pools of one connection and close a pool before opening the
//! next), one database, no `COPY ... FROM STDIN` (project with `ProjectorConfig::copy`
//! off), no background jobs (run policies with `CALL run_job(id)`).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a server may take to install (first use on a machine) and start.
const START_TIMEOUT: Duration = Duration::from_secs(300);

/// A running PGlite + TimescaleDB server, killed on drop.
#[derive(Debug)]
pub struct TimescaleServer {
    /// `postgres://postgres:postgres@127.0.0.1:{port}/postgres?sslmode=disable`.
    pub url: String,
    child: Child,
}

impl TimescaleServer {
    /// Starts a server and waits until it accepts connections (it prints `ready URL`).
    /// Panics with the reason when node, npm or the packages are missing, or it does not
    /// start within five minutes.
    pub async fn start() -> TimescaleServer {
        tokio::task::spawn_blocking(Self::start_blocking)
            .await
            .expect("start the TimescaleDB server")
    }

    fn start_blocking() -> TimescaleServer {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/timescale.sh");
        let mut child = Command::new("bash")
            .arg(&script)
            .arg("serve")
            .arg("--port")
            .arg("0")
            // The server exits when its stdin closes: if this process dies, so does it.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                match line.strip_prefix("ready ") {
                    Some(url) => {
                        let _ = tx.send(url.to_owned());
                    }
                    None => eprintln!("timescale server: {line}"),
                }
            }
        });
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(url) => TimescaleServer { url, child },
            Err(_) => {
                let _ = child.kill();
                let status = child.wait();
                panic!(
                    "the TimescaleDB server (scripts/timescale.sh serve) did not start: {status:?}; \
                     it needs node and npm (Node.js 20) and the npm registry for its first install"
                );
            }
        }
    }
}

impl Drop for TimescaleServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
