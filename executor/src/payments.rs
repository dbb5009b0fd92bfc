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
    closed: bool,
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
