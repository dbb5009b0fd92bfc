//! The settlement rules, exactly as `payment_stream` executes them on chain.
//!
//! A voucher is cumulative: redeeming it pays the difference between its amount (capped at
//! the escrow) and what the stream has already been paid. Redeeming a stale, repeated or
//! reordered voucher therefore pays zero, and nothing can ever exceed the escrow.

use crate::{DomainError, EscrowLedger, Octas};

/// What `settle_batch` pays one stream for a voucher of `cumulative` octas.
pub fn payout(already_paid: Octas, cumulative: Octas, escrow: Octas) -> Octas {
    cumulative.min(escrow).saturating_sub(already_paid)
}

/// The effect of `close_stream`: a final payment, then the rest back to the buyer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseOutcome {
    pub payment: Octas,
    pub refund: Octas,
}

/// Applies one redemption to a stream's escrow and paid total, as the contract does.
/// Returns the amount paid now.
pub fn redeem(
    ledger: &mut EscrowLedger,
    paid: &mut Octas,
    cumulative: Octas,
) -> Result<Octas, DomainError> {
    let amount = payout(*paid, cumulative, ledger.deposited);
    ledger.release(amount)?;
    *paid = paid.checked_add(amount)?;
    Ok(amount)
}

/// Closes a stream: redeems the final voucher (if any), then refunds everything still locked.
pub fn close(
    ledger: &mut EscrowLedger,
    paid: &mut Octas,
    final_cumulative: Option<Octas>,
) -> Result<CloseOutcome, DomainError> {
    let payment = match final_cumulative {
        Some(c) => redeem(ledger, paid, c)?,
        None => Octas::ZERO,
    };
    let refund = ledger.refund_rest()?;
    Ok(CloseOutcome { payment, refund })
}

/// Transactions the seed's naive design sends: one on-chain payment per stream per second.
pub fn naive_transactions(streams: u64, seconds: u64) -> u64 {
    streams.saturating_mul(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payout_is_the_difference_capped_at_escrow() {
        assert_eq!(payout(Octas(0), Octas(10), Octas(100)), Octas(10));
        assert_eq!(payout(Octas(10), Octas(10), Octas(100)), Octas(0));
        assert_eq!(payout(Octas(20), Octas(10), Octas(100)), Octas(0));
        assert_eq!(payout(Octas(90), Octas(500), Octas(100)), Octas(10));
    }

    #[test]
    fn close_pays_then_refunds() {
        let mut ledger = EscrowLedger::default();
        ledger.deposit(Octas(100)).expect("deposit");
        let mut paid = Octas::ZERO;
        redeem(&mut ledger, &mut paid, Octas(30)).expect("redeem");
        let out = close(&mut ledger, &mut paid, Some(Octas(45))).expect("close");
        assert_eq!(
            out,
            CloseOutcome {
                payment: Octas(15),
                refund: Octas(55)
            }
        );
        assert_eq!(paid, Octas(45));
        assert!(ledger.is_conserved());
    }
}
