//! The buyer side of a job's payment stream, as the provider's resource server keeps it:
//! the chain's terms of the stream and the newest voucher accepted (`chargedCumulativeAmount`
//! of the batch-settlement scheme). Each paid request must carry exactly the next
//! cumulative amount: the amount charged so far plus the unit price.

use std::collections::HashMap;

use computestream_domain::{AccountAddress, Octas, SignedVoucher, StreamTerms, VoucherContext};
use computestream_schemas::x402::{self, reason, PaymentPayload, PaymentRequirements, Rejection};

#[derive(Debug, Clone)]
struct Entry {
    terms: StreamTerms,
    charged: Octas,
    paid_at_ms: u64,
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
    streams: HashMap<u64, Entry>,
}

impl PaymentBook {
    pub fn new(ctx: VoucherContext, provider: AccountAddress) -> Self {
        PaymentBook {
            ctx,
            provider,
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
        Some(r)
    }

    /// Every rule of the binding for a payment of one second of `stream_id`. Changes
    /// nothing: [`PaymentBook::commit`] does, once the voucher is stored.
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
        let v = *form.voucher.get();
        v.verify_context(&self.ctx, stream_id, &e.terms.buyer_public_key)
            .map_err(|err| who(x402::voucher_reason(&err)))?;
        if v.voucher.cumulative_amount > e.terms.escrow {
            return Err(who(reason::INSUFFICIENT_FUNDS));
        }
        let next = e
            .charged
            .checked_add(form.price)
            .map_err(|_| who(reason::INVALID_PAYLOAD))?;
        if v.voucher.cumulative_amount != next {
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

    fn book() -> (PaymentBook, SigningKey) {
        let ctx = VoucherContext {
            chain_id: 4,
            package: AccountAddress::new([0xc5; 32]),
        };
        let provider = AccountAddress::new([1; 32]);
        let buyer = SigningKey::from_seed([2; 32]);
        let mut b = PaymentBook::new(ctx, provider);
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
}
