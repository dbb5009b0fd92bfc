//! When a job is stopped for non-payment (x402: the executor serves only what vouchers pay
//! for, within `executor.grace_secs`). Seconds served are wall-clock seconds, so after the
//! executor's own process stalls (a saturated host: its tasks not scheduled for seconds) it
//! meters the whole stall at once, while no buyer could pay during it: its x402 endpoint did
//! not answer either. A buyer is judged only once the executor has been running for a whole
//! grace window since its last stall; a buyer that stops paying while the executor runs is
//! stopped after the grace as before. The soak run found 96 of 100 paying jobs stopped at
//! once (`vouchers pay for 3632 s of 3644 s served`) after the demo's process stalled beside
//! a CPU hog and a build.
//!
//! Nor is a buyer judged while one of its payments is being stored: the voucher passed every
//! check and is counted once the log acknowledges it, and on a loaded machine (or a broker
//! whose producer session is being replaced) that acknowledgement can take longer than the
//! grace. The store is bounded (`kafka.request_timeout_ms`), so a buyer is judged again once
//! it ends either way.

use std::time::{Duration, Instant};

/// A tick later than this behind its schedule means the process was not running.
pub const STALL: Duration = Duration::from_secs(2);

/// Decides, tick by tick, whether a job's buyer is behind on payment.
#[derive(Debug, Clone)]
pub struct PaymentJudge {
    grace: Duration,
    grace_secs: u64,
    /// No judgment before this instant (a grace window after the last stall).
    judge_from: Instant,
}

impl PaymentJudge {
    /// `grace_secs`: `executor.grace_secs`; `now`: when supervision began.
    pub fn new(grace_secs: u64, now: Instant) -> Self {
        PaymentJudge {
            grace: Duration::from_secs(grace_secs),
            grace_secs,
            judge_from: now,
        }
    }

    /// A tick ran at `now`, `lateness` behind its schedule (`Interval::tick`'s instant).
    pub fn ticked(&mut self, lateness: Duration, now: Instant) {
        if lateness > STALL {
            self.judge_from = now + self.grace;
        }
    }

    /// Whether to stop the job at `now`: `served` seconds metered, `paid` seconds covered by
    /// the newest stored voucher, more than the grace apart, no payment of the buyer being
    /// stored (`storing`), and the executor ran through a whole grace window since its last
    /// stall.
    pub fn unpaid(&self, served: u64, paid: u64, storing: bool, now: Instant) -> bool {
        served > paid.saturating_add(self.grace_secs) && !storing && now >= self.judge_from
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buyer_behind_by_more_than_the_grace_is_stopped() {
        let t0 = Instant::now();
        let j = PaymentJudge::new(10, t0);
        assert!(
            !j.unpaid(110, 100, false, t0),
            "10 s behind: within the grace"
        );
        assert!(j.unpaid(111, 100, false, t0), "11 s behind: past it");
    }

    #[test]
    fn after_the_executors_own_stall_the_buyer_gets_a_whole_grace_window() {
        let t0 = Instant::now();
        let mut j = PaymentJudge::new(10, t0);
        // The process ran nothing for 12 s; it meters them at once.
        let back = t0 + Duration::from_secs(13);
        j.ticked(Duration::from_secs(12), back);
        assert!(
            !j.unpaid(3644, 3632, false, back),
            "nobody could pay during the stall"
        );
        assert!(!j.unpaid(3650, 3632, false, back + Duration::from_secs(9)));
        assert!(
            j.unpaid(3654, 3632, false, back + Duration::from_secs(10)),
            "a buyer that still does not pay a grace after the stall is stopped"
        );
    }

    #[test]
    fn a_buyer_whose_payment_is_being_stored_is_judged_once_the_store_ends() {
        let t0 = Instant::now();
        let j = PaymentJudge::new(10, t0);
        assert!(
            !j.unpaid(120, 100, true, t0),
            "the voucher is on its way to the log"
        );
        assert!(
            j.unpaid(120, 100, false, t0),
            "the store ended and it did not pay enough"
        );
    }

    #[test]
    fn ordinary_lateness_does_not_postpone_judgment() {
        let t0 = Instant::now();
        let mut j = PaymentJudge::new(10, t0);
        j.ticked(Duration::from_millis(1500), t0 + Duration::from_secs(30));
        assert!(j.unpaid(41, 30, false, t0 + Duration::from_secs(30)));
    }
}
