//! Riding out a dependency's outage: a service whose run ends with a retryable error (its
//! broker, database or node went away) is started again in the same process after a
//! backoff, instead of the process exiting. Every service resumes from its durable progress
//! (the same path a restart after SIGKILL takes), so a new attempt loses nothing and repeats
//! nothing. Each attempt runs under its own child [`Shutdown`], fired when the attempt
//! fails, so nothing of a failed attempt keeps running beside the next.
//!
//! Logging: the first failure of a run of failures is a warning; further failures before
//! the service has run [`HEALTHY_RUN`] again are debug lines (the dependency's probe,
//! [`crate::dependency::watch`], logs the outage itself). Metric:
//! `computestream_service_restarts_total{service}`.

use std::fmt::Display;
use std::future::Future;
use std::time::{Duration, Instant};

use crate::dependency::Backoff;
use crate::Shutdown;

/// An attempt that ran this long before failing ends a run of failures: its failure is a
/// new outage (logged as a warning) and the backoff starts again from its first step.
pub const HEALTHY_RUN: Duration = Duration::from_secs(30);

/// The longest pause between attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Runs `attempt(shutdown_of_the_attempt)` until it ends cleanly, `shutdown` fires, or it
/// fails with an error `is_retryable` says is not retryable (returned as is).
pub async fn ride_out<F, Fut, E>(
    service: &'static str,
    shutdown: &Shutdown,
    is_retryable: impl Fn(&E) -> bool,
    mut attempt: F,
) -> Result<(), E>
where
    F: FnMut(Shutdown) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Display,
{
    let restarts = metrics::counter!("computestream_service_restarts_total", "service" => service);
    let mut backoff = Backoff::new(MAX_BACKOFF);
    let mut failing = false;
    loop {
        let this = shutdown.child();
        let started = Instant::now();
        let result = attempt(this.clone()).await;
        this.trigger();
        match result {
            Ok(()) => return Ok(()),
            Err(_) if shutdown.is_triggered() => return Ok(()),
            Err(e) if is_retryable(&e) => {
                if started.elapsed() >= HEALTHY_RUN {
                    failing = false;
                    backoff.reset();
                }
                let pause = backoff.next_pause();
                if failing {
                    tracing::debug!(service, error = %e, pause_ms = pause.as_millis() as u64, "still failing; starting again after a pause");
                } else {
                    tracing::warn!(service, error = %e, pause_ms = pause.as_millis() as u64, "stopped by a retryable error; starting again after a pause");
                }
                failing = true;
                restarts.increment(1);
                tokio::select! {
                    _ = shutdown.wait() => return Ok(()),
                    _ = tokio::time::sleep(pause) => {}
                }
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn retryable_failures_start_again_until_a_clean_end() {
        let attempts = Arc::new(AtomicUsize::new(0));
        let seen = attempts.clone();
        let r: Result<(), String> = ride_out(
            "test",
            &Shutdown::new(),
            |e: &String| e == "down",
            |_| {
                let n = seen.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 3 {
                        Err("down".to_owned())
                    } else {
                        Ok(())
                    }
                }
            },
        )
        .await;
        assert_eq!(r, Ok(()));
        assert_eq!(attempts.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn a_fatal_error_ends_it_and_each_attempt_is_stopped_when_it_fails() {
        let stopped = Arc::new(AtomicUsize::new(0));
        let seen = stopped.clone();
        let mut n = 0;
        let r: Result<(), String> = ride_out(
            "test",
            &Shutdown::new(),
            |e: &String| e == "down",
            |attempt: Shutdown| {
                n += 1;
                let seen = seen.clone();
                // What an attempt leaves running stops with the attempt's shutdown.
                tokio::spawn(async move {
                    attempt.wait().await;
                    seen.fetch_add(1, Ordering::SeqCst);
                });
                let e = if n < 2 { "down" } else { "corrupt" };
                async move { Err(e.to_owned()) }
            },
        )
        .await;
        assert_eq!(r, Err("corrupt".to_owned()));
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(stopped.load(Ordering::SeqCst), 2);
    }
}
