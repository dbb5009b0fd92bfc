//! The buyer side of a job's payment stream, as the provider's resource server keeps it:
//! the chain's terms of the stream, the seconds served, and the newest voucher accepted
//! (`chargedCumulativeAmount` of the batch-settlement scheme).
//!
//! A paid request must advance the cumulative amount by at least one unit (the price of a
//! second, or what is left of the escrow) and may pay up to what was served plus a lead
//! (`maxCumulativeAmount` = min(escrow, (served + ahead) × rate)): a buyer that fell behind
//! (a busy machine, a stalled loop) catches up with one voucher; a buyer never pays more than
//! `ahead` seconds before they are served. Requests are serialised per stream: while one
//! payment is being stored, another for the same stream is refused as busy, so one voucher
//! is never served twice.

use std::collections::HashMap;

use computestream_domain::{AccountAddress, Octas, SignedVoucher, StreamTerms, VoucherContext};
use computestream_schemas::x402::{self, reason, PaymentPayload, PaymentRequirements, Rejection};

#[derive(Debug, Clone)]
struct Entry {
    terms: StreamTerms,
    charged: Octas,
    paid_at_ms: u64,
    /// Seconds of the job metered so far.
    served: u64,
    /// No voucher is accepted any more: the stream closed on chain, or its job ended.
    closed: bool,
    /// Payments accepted and being stored right now.
    in_flight: u32,
}

/// A payment that passed every check, not yet stored.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub voucher: SignedVoucher,
    pub payer: String,
    pub price: Octas,
}

#[derive(Debug, Clone)]
pub struct PaymentBook {
    ctx: VoucherContext,
    provider: AccountAddress,
    /// Seconds a buyer may pay before they are served (`executor.payment_ahead_secs`).
    ahead_secs: u64,
    streams: HashMap<u64, Entry>,
}

impl Entry {
    /// The largest cumulative amount acceptable now: min(escrow, (served + ahead) × rate).
    fn ceiling(&self, ahead_secs: u64) -> Octas {
        let secs = self.served.saturating_add(ahead_secs);
        match self.terms.rate_per_second.checked_mul(secs) {
            Ok(v) => v.min(self.terms.escrow),
            Err(_) => self.terms.escrow,
        }
    }

    /// The smallest cumulative amount a new payment may carry: one more second, or the
    /// rest of the escrow if less than a second is left.
    fn floor(&self, price: Octas) -> Result<Octas, computestream_domain::DomainError> {
        Ok(self.charged.checked_add(price)?.min(self.terms.escrow))
    }
}

impl PaymentBook {
    pub fn new(ctx: VoucherContext, provider: AccountAddress, ahead_secs: u64) -> Self {
        PaymentBook {
            ctx,
            provider,
            ahead_secs,
            streams: HashMap::new(),
        }
    }

    /// A stream opened on chain; kept when it is this provider's.
    pub fn opened(&mut self, terms: StreamTerms, at_ms: u64) {
        if terms.provider == self.provider {
            self.streams.entry(terms.stream_id).or_insert(Entry {
                terms,
                charged: Octas::ZERO,
                paid_at_ms: at_ms,
                served: 0,
                closed: false,
                in_flight: 0,
            });
        }
    }

    pub fn deposited(&mut self, stream_id: u64, total: Octas) {
        if let Some(e) = self.streams.get_mut(&stream_id) {
            e.terms.escrow = e.terms.escrow.max(total);
        }
    }

    /// The job has been served (metered) `seconds` so far.
    pub fn served(&mut self, stream_id: u64, seconds: u64) {
        if let Some(e) = self.streams.get_mut(&stream_id) {
            e.served = e.served.max(seconds);
        }
    }

    pub fn closed(&mut self, stream_id: u64) {
        if let Some(e) = self.streams.get_mut(&stream_id) {
            e.closed = true;
        }
    }

    /// The stream's job ended: from now on no voucher is accepted. Its outcome goes on chain
    /// (which lets the settler close the stream) only once [`PaymentBook::in_flight`] is
    /// zero, so every voucher ever accepted is in the log before the close is decided.
    pub fn ended(&mut self, stream_id: u64) {
        self.closed(stream_id);
    }

    /// Forgets the stream (its job ended and is no longer retained): a later voucher for it
    /// is refused as unknown.
    pub fn forget(&mut self, stream_id: u64) {
        self.streams.remove(&stream_id);
    }

    /// A checked payment is being stored (pair with [`PaymentBook::release`]).
    pub fn reserve(&mut self, stream_id: u64) {
        if let Some(e) = self.streams.get_mut(&stream_id) {
            e.in_flight += 1;
        }
    }

    pub fn release(&mut self, stream_id: u64) {
        if let Some(e) = self.streams.get_mut(&stream_id) {
            e.in_flight = e.in_flight.saturating_sub(1);
        }
    }

    /// Payments of `stream_id` accepted and not yet stored (or refused by the log).
    pub fn in_flight(&self, stream_id: u64) -> u32 {
        self.streams.get(&stream_id).map_or(0, |e| e.in_flight)
    }

    /// A voucher already stored (read back from the log after a restart).
    pub fn restore(&mut self, stream_id: u64, amount: Octas, at_ms: u64) {
        if let Some(e) = self.streams.get_mut(&stream_id) {
            if amount > e.charged {
                e.charged = amount;
                e.paid_at_ms = e.paid_at_ms.max(at_ms);
            }
        }
    }

    pub fn charged(&self, stream_id: u64) -> Option<Octas> {
        self.streams.get(&stream_id).map(|e| e.charged)
    }

    pub fn terms(&self, stream_id: u64) -> Option<StreamTerms> {
        self.streams.get(&stream_id).map(|e| e.terms)
    }

    /// What one more second of `stream_id` costs, with the amount charged so far.
    pub fn requirements(&self, stream_id: u64) -> Option<PaymentRequirements> {
        let e = self.streams.get(&stream_id)?;
        let mut r = PaymentRequirements::for_stream(
            self.ctx.chain_id,
            self.ctx.package,
            stream_id,
            e.terms.rate_per_second,
            self.provider,
        );
        r.extra.charged_cumulative_amount = Some(e.charged.to_string());
        r.extra.served_seconds = Some(e.served.to_string());
        r.extra.max_cumulative_amount = Some(e.ceiling(self.ahead_secs).to_string());
        Some(r)
    }

    /// Every rule of the binding for a payment on `stream_id`. Changes nothing:
    /// [`PaymentBook::reserve`] (under the same lock) and then [`PaymentBook::commit`] do,
    /// once the voucher is stored.
    pub fn check(&self, stream_id: u64, payload: &PaymentPayload) -> Result<Accepted, Rejection> {
        let e = self
            .streams
            .get(&stream_id)
            .ok_or_else(|| Rejection::new(reason::STREAM_NOT_FOUND, None))?;
        let reqs = self
            .requirements(stream_id)
            .ok_or_else(|| Rejection::new(reason::STREAM_NOT_FOUND, None))?;
        let form = x402::check_form(payload, &reqs, self.ctx.chain_id)?;
        let who = |r| Rejection::new(r, Some(form.payer.clone()));
        if e.closed {
            return Err(who(reason::STREAM_CLOSED));
        }
        if e.in_flight > 0 {
            return Err(who(reason::CHANNEL_BUSY));
        }
        let v = *form.voucher.get();
        v.verify_context(&self.ctx, stream_id, &e.terms.buyer_public_key)
            .map_err(|err| who(x402::voucher_reason(&err)))?;
        if v.voucher.cumulative_amount > e.terms.escrow {
            return Err(who(reason::INSUFFICIENT_FUNDS));
        }
        let floor = e
            .floor(form.price)
            .map_err(|_| who(reason::INVALID_PAYLOAD))?;
        let amount = v.voucher.cumulative_amount;
        if amount <= e.charged || amount < floor || amount > e.ceiling(self.ahead_secs) {
            return Err(who(reason::CUMULATIVE_AMOUNT_MISMATCH));
        }
        Ok(Accepted {
            voucher: v,
            payer: form.payer,
            price: form.price,
        })
    }

    /// The voucher is stored: it is the new charged amount.
    pub fn commit(&mut self, v: &SignedVoucher, at_ms: u64) {
        self.restore(v.voucher.stream_id, v.voucher.cumulative_amount, at_ms);
    }

    /// Seconds of service the vouchers so far pay for.
    pub fn paid_seconds(&self, stream_id: u64) -> u64 {
        self.streams
            .get(&stream_id)
            .map(|e| match e.terms.rate_per_second.get() {
                0 => u64::MAX,
                r => e.charged.get() / r,
            })
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use computestream_domain::{SigningKey, Voucher};
    use computestream_schemas::x402::{BatchPayload, VoucherPayload};

    const STREAM: u64 = 7;
    const AHEAD: u64 = 3;

    fn book() -> (PaymentBook, SigningKey) {
        let ctx = VoucherContext {
            chain_id: 4,
            package: AccountAddress::new([0xc5; 32]),
        };
        let provider = AccountAddress::new([1; 32]);
        let buyer = SigningKey::from_seed([2; 32]);
        let mut b = PaymentBook::new(ctx, provider, AHEAD);
        b.opened(
            StreamTerms {
                stream_id: STREAM,
                buyer_public_key: buyer.public_key(),
                provider,
                rate_per_second: Octas(1_000),
                escrow: Octas(1_000_000),
            },
            0,
        );
        (b, buyer)
    }

    fn pay(b: &PaymentBook, buyer: &SigningKey, cumulative: u64) -> Result<Accepted, Rejection> {
        let reqs = b.requirements(STREAM).expect("requirements");
        let v = Voucher {
            chain_id: 4,
            package: AccountAddress::new([0xc5; 32]),
            stream_id: STREAM,
            cumulative_amount: Octas(cumulative),
        }
        .sign(buyer);
        b.check(
            STREAM,
            &PaymentPayload {
                x402_version: x402::X402_VERSION,
                resource: None,
                accepted: reqs,
                payload: BatchPayload {
                    kind: "voucher".into(),
                    voucher: VoucherPayload::from_signed(&v),
                },
            },
        )
    }

    #[test]
    fn after_the_job_ends_no_voucher_is_accepted() {
        let (mut b, buyer) = book();
        let a = pay(&b, &buyer, 1_000).expect("the first second");
        b.commit(&a.voucher, 1);
        b.ended(STREAM);
        let refused = pay(&b, &buyer, 2_000).expect_err("the job ended");
        assert_eq!(refused.reason, reason::STREAM_CLOSED);
        assert_eq!(
            b.charged(STREAM),
            Some(Octas(1_000)),
            "nothing more charged"
        );
    }

    #[test]
    fn payments_being_stored_are_counted_until_released() {
        let (mut b, _) = book();
        assert_eq!(b.in_flight(STREAM), 0);
        b.reserve(STREAM);
        b.reserve(STREAM);
        assert_eq!(b.in_flight(STREAM), 2);
        b.release(STREAM);
        b.release(STREAM);
        b.release(STREAM);
        assert_eq!(b.in_flight(STREAM), 0, "never below zero");
        assert_eq!(b.in_flight(99), 0, "an unknown stream has none");
    }

    #[test]
    fn a_buyer_that_fell_behind_catches_up_with_one_voucher() {
        let (mut b, buyer) = book();
        b.served(STREAM, 1);
        let a = pay(&b, &buyer, 1_000).expect("the first second");
        b.commit(&a.voucher, 1);
        // Eight seconds served without a payment (the buyer stalled): one voucher for all
        // of them, plus the lead, is accepted at once.
        b.served(STREAM, 9);
        let reqs = b.requirements(STREAM).expect("requirements");
        assert_eq!(reqs.extra.served_seconds.as_deref(), Some("9"));
        assert_eq!(reqs.extra.max_cumulative_amount.as_deref(), Some("12000"));
        let a = pay(&b, &buyer, 12_000).expect("caught up and three seconds ahead");
        b.commit(&a.voucher, 2);
        assert_eq!(b.paid_seconds(STREAM), 12);
        // Beyond the lead: refused, nothing charged.
        assert_eq!(
            pay(&b, &buyer, 13_000).expect_err("too far ahead").reason,
            reason::CUMULATIVE_AMOUNT_MISMATCH
        );
        // Less than one more second: refused.
        b.served(STREAM, 20);
        assert_eq!(
            pay(&b, &buyer, 12_500)
                .expect_err("less than a second")
                .reason,
            reason::CUMULATIVE_AMOUNT_MISMATCH
        );
        assert_eq!(b.charged(STREAM), Some(Octas(12_000)));
    }

    #[test]
    fn a_payment_being_stored_makes_the_next_one_wait() {
        let (mut b, buyer) = book();
        b.served(STREAM, 5);
        let a = pay(&b, &buyer, 1_000).expect("checked");
        b.reserve(STREAM);
        // The same voucher, and any other, while the first is stored: busy.
        assert_eq!(
            pay(&b, &buyer, 1_000).expect_err("busy").reason,
            reason::CHANNEL_BUSY
        );
        assert_eq!(
            pay(&b, &buyer, 2_000).expect_err("busy").reason,
            reason::CHANNEL_BUSY
        );
        b.commit(&a.voucher, 1);
        b.release(STREAM);
        // Stored: the same voucher again pays nothing new.
        assert_eq!(
            pay(&b, &buyer, 1_000).expect_err("replayed").reason,
            reason::CUMULATIVE_AMOUNT_MISMATCH
        );
        pay(&b, &buyer, 2_000).expect("the next one");
    }

    #[test]
    fn the_last_part_of_an_escrow_that_is_not_a_whole_second_can_be_paid() {
        let (mut b, buyer) = book();
        b.served(STREAM, 2_000);
        // Escrow 1,000,000 at 1,000/s: pay up to 999,500, then the last 500.
        let a = pay(&b, &buyer, 999_500).expect("most of it");
        b.commit(&a.voucher, 1);
        pay(&b, &buyer, 1_000_000).expect("the rest of the escrow");
        assert_eq!(
            pay(&b, &buyer, 1_000_001).expect_err("above escrow").reason,
            reason::INSUFFICIENT_FUNDS
        );
    }
}
