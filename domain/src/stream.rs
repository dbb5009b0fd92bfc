use serde::{Deserialize, Serialize};

use crate::{DomainError, Octas};

/// Whether a payment stream still accrues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StreamStatus {
    Open,
    Closed,
}

/// What a voucher amount did to a stream's accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoucherOutcome {
    /// A larger cumulative amount than any before: the stream's voucher total advanced.
    Advanced,
    /// Equal to or below the newest amount already seen (a duplicate or a reordered one).
    Stale,
}

/// The accounting of one payment stream as read models and settlers see it.
///
/// - `accrued`: what the provider has earned by attested seconds (seconds × rate), capped
///   at the escrow;
/// - `vouchered`: the newest (largest) buyer voucher amount;
/// - `owed`: what may be redeemed now, `min(vouchered, accrued)`;
/// - `paid` and `refunded`: what the chain has released to the provider and returned;
/// - `remaining`: escrow not yet paid or refunded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StreamAccount {
    pub stream_id: u64,
    pub rate_per_second: Octas,
    pub escrow: Octas,
    pub attested_seconds: u64,
    pub vouchered: Octas,
    pub paid: Octas,
    pub refunded: Octas,
    pub status: StreamStatus,
}

impl StreamAccount {
    pub fn open(stream_id: u64, rate_per_second: Octas, escrow: Octas) -> Self {
        StreamAccount {
            stream_id,
            rate_per_second,
            escrow,
            attested_seconds: 0,
            vouchered: Octas::ZERO,
            paid: Octas::ZERO,
            refunded: Octas::ZERO,
            status: StreamStatus::Open,
        }
    }

    /// The stream can pay for at most this many whole seconds.
    pub fn max_seconds(&self) -> u64 {
        match self.rate_per_second.get() {
            0 => u64::MAX,
            rate => self.escrow.get() / rate,
        }
    }

    pub fn accrued(&self) -> Octas {
        self.rate_per_second
            .saturating_mul(self.attested_seconds)
            .min(self.escrow)
    }

    /// What `lead_secs` more seconds than attested would earn, capped at the escrow: the most
    /// a redeemed voucher may carry when buyers pay that far ahead.
    pub fn accrued_with_lead(&self, lead_secs: u64) -> Octas {
        self.rate_per_second
            .saturating_mul(self.attested_seconds.saturating_add(lead_secs))
            .min(self.escrow)
    }

    pub fn owed(&self) -> Octas {
        self.vouchered.min(self.accrued())
    }

    /// Owed but not yet paid on chain.
    pub fn unsettled(&self) -> Octas {
        self.owed().saturating_sub(self.paid)
    }

    pub fn remaining(&self) -> Octas {
        self.escrow
            .saturating_sub(self.paid)
            .saturating_sub(self.refunded)
    }

    /// Records that the provider attested `seconds` in total (a gapless metering chain).
    pub fn attest(&mut self, seconds: u64) -> Result<(), DomainError> {
        self.ensure_open()?;
        self.attested_seconds = self.attested_seconds.max(seconds);
        Ok(())
    }

    /// Records a verified voucher amount. Vouchers are cumulative, so only a larger one
    /// changes anything; order and duplicates do not matter.
    pub fn observe_voucher(&mut self, cumulative: Octas) -> VoucherOutcome {
        if cumulative > self.vouchered {
            self.vouchered = cumulative;
            VoucherOutcome::Advanced
        } else {
            VoucherOutcome::Stale
        }
    }

    /// Records the chain's paid total for this stream (from a `StreamSettled` event, which
    /// carries the total). Totals only grow, so a replayed event changes nothing.
    pub fn record_paid_total(&mut self, total: Octas) {
        self.paid = self.paid.max(total);
    }

    /// Records the chain's close: final paid total and refund.
    pub fn record_closed(&mut self, paid_total: Octas, refunded: Octas) {
        self.record_paid_total(paid_total);
        self.refunded = refunded;
        self.status = StreamStatus::Closed;
    }

    fn ensure_open(&self) -> Result<(), DomainError> {
        match self.status {
            StreamStatus::Open => Ok(()),
            StreamStatus::Closed => Err(DomainError::StreamClosed(self.stream_id)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owed_is_bounded_by_voucher_attestation_and_escrow() {
        let mut s = StreamAccount::open(1, Octas(10), Octas(95));
        assert_eq!(s.max_seconds(), 9);
        s.attest(5).expect("open");
        assert_eq!(s.observe_voucher(Octas(70)), VoucherOutcome::Advanced);
        assert_eq!(s.owed(), Octas(50), "bounded by attested seconds");
        s.attest(12).expect("open");
        assert_eq!(s.accrued(), Octas(95), "bounded by escrow");
        assert_eq!(s.owed(), Octas(70), "bounded by the voucher");
        assert_eq!(s.observe_voucher(Octas(60)), VoucherOutcome::Stale);
        s.record_paid_total(Octas(70));
        s.record_paid_total(Octas(40));
        assert_eq!(s.paid, Octas(70));
        assert_eq!(s.unsettled(), Octas(0));
        s.record_closed(Octas(70), Octas(25));
        assert_eq!(s.remaining(), Octas(0));
        assert!(s.attest(13).is_err());
    }
}
