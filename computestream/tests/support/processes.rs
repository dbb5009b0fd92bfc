//! `computestream` services as separate processes, restartable, each with its stderr in a
//! log file (the chaos test kills them; the web app test runs them as a user would).

#![allow(dead_code)] // each test binary uses its own part

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use computestream_eventlog::KafkaSettings;

pub const BIN: &str = env!("CARGO_BIN_EXE_computestream");

/// One `computestream` process, restartable; its stderr is kept in a log file.
pub struct Service {
    pub name: String,
    command: Box<dyn Fn() -> Command + Send>,
    child: Option<Child>,
    pub log: PathBuf,
    pub kills: usize,
}

impl Service {
    pub fn new(name: &str, dir: &Path, command: impl Fn() -> Command + Send + 'static) -> Service {
        Service {
            name: name.into(),
            command: Box::new(command),
            child: None,
            log: dir.join(format!("{name}.log")),
            kills: 0,
        }
    }

    pub fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("service log");
        let child = (self.command)()
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", self.name));
        self.child = Some(child);
    }

    /// SIGKILL: no shutdown path runs.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
            self.kills += 1;
        }
    }

    /// Stops it for good at the end (not counted as a chaos kill).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Whether it was started and has exited since (it died on its own).
    pub fn exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_some())
    }

    /// The lines of its log that contain `needle`.
    pub fn log_lines_with(&self, needle: &str) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(needle))
            .count()
    }

    /// The last lines of its log.
    pub fn tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `computestream {sub}` on this test's broker namespace, database and read-model schema.
pub fn base(sub: &str, kafka: &KafkaSettings, db: &str, schema: &str) -> Command {
    let mut c = computestream_testkit::service_command(BIN, sub, kafka);
    if let Ok(level) = std::env::var("CS_SERVICE_LOG") {
        // Service logs at another level for a failing run (they go to each service's file).
        c.env("RUST_LOG", level);
    }
    c.env("COMPUTESTREAM_DATABASE__URL", db)
        .env("COMPUTESTREAM_PROJECTOR__SCHEMA", schema);
    c
}

/// A broker of the test's own (the stack's nisshi build, in memory, on a free port), so a
/// long test does not share the stack's broker with every earlier test's topics: the debug
/// build slows down as they pile up, and a pipeline test was seen to stall on it.
pub struct OwnBroker {
    child: Child,
    pub kafka: KafkaSettings,
}

impl OwnBroker {
    pub fn start(dir: &Path) -> OwnBroker {
        let port = computestream_testkit::free_port();
        let url = format!("tcp://127.0.0.1:{port}");
        let log = std::fs::File::create(dir.join("broker.log")).expect("broker log");
        let child = Command::new("nisshi")
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "memory://nisshi/"])
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .expect("nisshi (scripts/stack.sh up installs it; its bin directory on PATH)");
        for _ in 0..300 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        OwnBroker {
            child,
            kafka: KafkaSettings::new(format!("127.0.0.1:{port}")).with_topic_prefix("web."),
        }
    }
}

impl Drop for OwnBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
