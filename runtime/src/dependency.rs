//! Watching the services a process depends on (the broker, PostgreSQL, the node): a probe
//! every second sets the dependency's readiness check, so `/healthz` answers 503 while it is
//! down, and an outage is logged twice, when it starts and when it ends, however many
//! records fail in between.
//!
//! Metrics: `computestream_dependency_up{dependency}` (1 or 0) and
//! `computestream_dependency_outages_total{dependency}`.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use crate::{Health, Shutdown};

/// How often a dependency is probed, and how long one probe may take before it counts as a
/// failure.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// What one probe changed: the decision of when to log, kept apart from the probing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// The first failed probe after a good one (or the first probe at all).
    Down { reason: String },
    /// The first good probe after an outage, and how long the outage lasted.
    Up { after: Duration },
}

/// The state of one dependency as its probes saw it.
#[derive(Debug, Default)]
pub struct Outage {
    since: Option<Instant>,
}

impl Outage {
    /// Records a probe's result at `now`; returns the transition it made, if any.
    pub fn observe(&mut self, probe: Result<(), String>, now: Instant) -> Option<Transition> {
        match (probe, self.since) {
            (Ok(()), None) | (Err(_), Some(_)) => None,
            (Ok(()), Some(since)) => {
                self.since = None;
                Some(Transition::Up {
                    after: now.saturating_duration_since(since),
                })
            }
            (Err(reason), None) => {
                self.since = Some(now);
                Some(Transition::Down { reason })
            }
        }
    }

    pub fn is_down(&self) -> bool {
        self.since.is_some()
    }
}

/// Probes `dependency` every [`PROBE_EVERY`] until `shutdown`: sets the readiness check of
/// that name in `health` and logs one line when an outage starts and one when it ends.
/// `probe` answers `Err(reason)` when the dependency cannot be used.
pub fn watch<F, Fut>(
    dependency: &'static str,
    probe: F,
    health: Health,
    shutdown: Shutdown,
) -> JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    tokio::spawn(async move {
        let up = metrics::gauge!("computestream_dependency_up", "dependency" => dependency);
        let outages =
            metrics::counter!("computestream_dependency_outages_total", "dependency" => dependency);
        let mut outage = Outage::default();
        let mut tick = tokio::time::interval(PROBE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.wait() => return,
                _ = tick.tick() => {}
            }
            let result = match tokio::time::timeout(PROBE_TIMEOUT, probe()).await {
                Ok(r) => r,
                Err(_) => Err(format!("no answer within {} s", PROBE_TIMEOUT.as_secs())),
            };
            if let Err(reason) = &result {
                health.failing(dependency, reason.clone());
            }
            match outage.observe(result, Instant::now()) {
                Some(Transition::Down { reason }) => {
                    up.set(0.0);
                    outages.increment(1);
                    tracing::warn!(
                        dependency,
                        %reason,
                        "dependency unreachable; retrying with backoff until it is back"
                    );
                }
                Some(Transition::Up { after }) => {
                    up.set(1.0);
                    health.ok(dependency);
                    tracing::warn!(
                        dependency,
                        outage_secs = after.as_secs_f64(),
                        "dependency back"
                    );
                }
                None if !outage.is_down() => {
                    up.set(1.0);
                    health.ok(dependency);
                }
                None => {}
            }
        }
    })
}

/// Exponential backoff for retrying after a dependency's failure: 250 ms doubling to
/// `max`; [`Backoff::reset`] after progress.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub const FIRST: Duration = Duration::from_millis(250);

    pub fn new(max: Duration) -> Backoff {
        Backoff {
            next: Self::FIRST.min(max),
            max,
        }
    }

    /// The pause before the next attempt (and doubles the one after, up to `max`).
    pub fn next_pause(&mut self) -> Duration {
        let pause = self.next;
        self.next = self.next.saturating_mul(2).min(self.max);
        pause
    }

    pub fn reset(&mut self) {
        self.next = Self::FIRST.min(self.max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_is_two_transitions_however_many_probes_fail() {
        let t0 = Instant::now();
        let mut o = Outage::default();
        assert_eq!(o.observe(Ok(()), t0), None);
        let mut transitions = Vec::new();
        for i in 0..10u64 {
            transitions.extend(o.observe(Err(format!("refused {i}")), t0 + Duration::from_secs(i)));
        }
        transitions.extend(o.observe(Ok(()), t0 + Duration::from_secs(12)));
        transitions.extend(o.observe(Ok(()), t0 + Duration::from_secs(13)));
        assert_eq!(
            transitions,
            vec![
                Transition::Down {
                    reason: "refused 0".into()
                },
                Transition::Up {
                    after: Duration::from_secs(12)
                }
            ]
        );
        assert!(!o.is_down());
    }

    #[test]
    fn a_dependency_down_from_the_start_is_an_outage() {
        let t0 = Instant::now();
        let mut o = Outage::default();
        assert!(matches!(
            o.observe(Err("refused".into()), t0),
            Some(Transition::Down { .. })
        ));
        assert!(o.is_down());
    }

    #[test]
    fn backoff_doubles_to_its_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(2));
        let pauses: Vec<u64> = (0..6).map(|_| b.next_pause().as_millis() as u64).collect();
        assert_eq!(pauses, vec![250, 500, 1000, 2000, 2000, 2000]);
        b.reset();
        assert_eq!(b.next_pause(), Duration::from_millis(250));
    }
}
