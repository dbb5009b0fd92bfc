use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The state of one named readiness check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthCheck {
    Ok,
    Failing(String),
}

/// Readiness checks a service updates as it runs (e.g. "kafka", "postgres"); `/healthz`
/// answers 200 when every check is [`HealthCheck::Ok`] and 503 otherwise.
#[derive(Debug, Clone, Default)]
pub struct Health(Arc<Mutex<BTreeMap<String, HealthCheck>>>);

impl Health {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(&self, name: &str, check: HealthCheck) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(name.to_owned(), check);
        }
    }

    pub fn ok(&self, name: &str) {
        self.set(name, HealthCheck::Ok);
    }

    pub fn failing(&self, name: &str, reason: impl Into<String>) {
        self.set(name, HealthCheck::Failing(reason.into()));
    }

    /// `(healthy, one line per check)`.
    pub fn report(&self) -> (bool, String) {
        let Ok(m) = self.0.lock() else {
            return (false, "health state poisoned\n".to_owned());
        };
        let mut healthy = true;
        let mut body = String::new();
        for (name, check) in m.iter() {
            match check {
                HealthCheck::Ok => body.push_str(&format!("{name}: ok\n")),
                HealthCheck::Failing(reason) => {
                    healthy = false;
                    body.push_str(&format!("{name}: failing: {reason}\n"));
                }
            }
        }
        if body.is_empty() {
            body.push_str("ok\n");
        }
        (healthy, body)
    }
}
