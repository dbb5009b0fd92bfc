//! What the executor rebuilds from the log as it reads it: where each of its jobs' metering
//! chains stands (the head a re-adopted job continues from) and the vouchers it stored
//! before a restart (what the buyer was charged).
//!
//! The chain-event and metering topics are read in no fixed order relative to each other,
//! so during the catch-up a job's metering records and vouchers can be read before its
//! `JobCreated` and `StreamOpened`. Nothing read early may be lost for that. The chaos test
//! of 2026-12-07 found both losses: a heartbeat during the catch-up pruned the head of a
//! job whose `JobCreated` was not read yet, so the re-adopted job metered again from second
//! 1 on a new chain (the settler, holding the first chain, could redeem 4 of its 23 seconds);
//! and a voucher read before its stream opened was dropped, so the buyer's charge restarted
//! lower than what was stored.

use std::collections::HashMap;

use computestream_domain::{Octas, StreamTerms};

use crate::payments::PaymentBook;
use crate::supervisor::MeteringHead;

#[derive(Debug, Default)]
pub struct Recovery {
    /// Per job: the newest metering record of this provider read from the log.
    heads: HashMap<u64, MeteringHead>,
    /// Vouchers read before their stream opened here, during the catch-up: the newest
    /// amount and when it was stored (ms).
    early_payments: HashMap<u64, (Octas, u64)>,
}

impl Recovery {
    /// A metering record of this provider for `job_id`: its head if newer.
    pub fn metered(&mut self, job_id: u64, head: MeteringHead) {
        let h = self.heads.entry(job_id).or_default();
        if head.second > h.second {
            *h = head;
        }
    }

    /// Where the metering chain of `job_id` stands (the genesis when nothing was metered).
    pub fn head(&self, job_id: u64) -> MeteringHead {
        self.heads.get(&job_id).copied().unwrap_or_default()
    }

    /// A stored voucher read back. Applied to `book` when its stream is open there; during
    /// the catch-up (`caught_up` false) a voucher of a stream not open yet waits for
    /// [`Recovery::opened`]. Once caught up, a voucher of an unknown stream is another
    /// provider's (this executor stores its own only for streams open in its book).
    pub fn paid(
        &mut self,
        book: &mut PaymentBook,
        stream_id: u64,
        amount: Octas,
        at_ms: u64,
        caught_up: bool,
    ) {
        if book.terms(stream_id).is_some() {
            book.restore(stream_id, amount, at_ms);
        } else if !caught_up {
            let e = self
                .early_payments
                .entry(stream_id)
                .or_insert((Octas::ZERO, 0));
            if amount > e.0 {
                *e = (amount, at_ms);
            }
        }
    }

    /// A stream of this provider opened on chain: opens it in `book`, with a voucher read
    /// before it, if any.
    pub fn opened(&mut self, book: &mut PaymentBook, terms: StreamTerms, now_ms: u64) {
        book.opened(terms, now_ms);
        if let Some((amount, at_ms)) = self.early_payments.remove(&terms.stream_id) {
            book.restore(terms.stream_id, amount, at_ms);
        }
    }

    /// The catch-up is over: every stream of this provider stored before it is open, so the
    /// vouchers still waiting are other providers'.
    pub fn caught_up(&mut self) {
        self.early_payments = HashMap::new();
    }

    /// Forgets the heads of jobs `keep` says are no longer needed (ended, or forgotten).
    /// Only once caught up: before, a job's `JobCreated` may not be read yet.
    pub fn prune(&mut self, caught_up: bool, keep: impl Fn(u64) -> bool) {
        if caught_up {
            self.heads.retain(|id, _| keep(*id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use computestream_domain::{
        ed25519_authentication_key, AccountAddress, SigningKey, VoucherContext,
    };

    fn book_and_terms() -> (PaymentBook, StreamTerms) {
        let provider = ed25519_authentication_key(&SigningKey::from_seed([2; 32]).public_key());
        let ctx = VoucherContext {
            chain_id: 4,
            package: AccountAddress::ONE,
        };
        let terms = StreamTerms {
            stream_id: 118,
            buyer_public_key: SigningKey::from_seed([1; 32]).public_key(),
            provider,
            rate_per_second: Octas(1_000),
            escrow: Octas(10_000_000),
        };
        (PaymentBook::new(ctx, provider, 3), terms)
    }

    #[test]
    fn a_head_read_before_its_job_survives_a_prune_during_the_catch_up() {
        let mut r = Recovery::default();
        let head = MeteringHead {
            second: 1,
            hash: computestream_domain::RecordHash([7; 32]),
        };
        r.metered(118, head);
        // A heartbeat while catching up: job 118's JobCreated is not read yet.
        r.prune(false, |_| false);
        assert_eq!(r.head(118), head);
        // Caught up, the job ended: its head goes.
        r.prune(true, |_| false);
        assert_eq!(r.head(118), MeteringHead::default());
    }

    #[test]
    fn a_voucher_read_before_its_stream_opened_is_restored_when_it_opens() {
        let (mut book, terms) = book_and_terms();
        let mut r = Recovery::default();
        r.paid(&mut book, 118, Octas(2_000), 10, false);
        r.paid(&mut book, 118, Octas(8_000), 20, false);
        r.paid(&mut book, 118, Octas(4_000), 15, false);
        assert_eq!(book.charged(118), None, "not open yet");
        r.opened(&mut book, terms, 30);
        assert_eq!(book.charged(118), Some(Octas(8_000)));
        // Another provider's voucher, read during the catch-up, is dropped at its end.
        r.paid(&mut book, 119, Octas(1_000), 40, false);
        r.caught_up();
        assert!(r.early_payments.is_empty());
        // Once caught up, an unknown stream's voucher is not kept at all.
        r.paid(&mut book, 120, Octas(1_000), 50, true);
        assert!(r.early_payments.is_empty());
    }
}
