//! The settler's decisions: per payment stream, what may be redeemed on chain and when.
//!
//! The [`SettlementDesk`] is fed everything the settler reads from the log (streams opened,
//! escrow top-ups, provider-signed metering records, buyer vouchers, the chain's settled and
//! closed totals, jobs ending) and answers one question, [`SettlementDesk::plan`]: which
//! streams to redeem now, with which voucher. It never pays: the chain does, with the
//! `payout` rule, so feeding the desk twice, in another order, or after a crash, can only
//! change *when* a voucher is redeemed, never how much is paid in total.
//!
//! The amount a stream may be redeemed for is bounded three ways: by the newest valid
//! buyer voucher, by the seconds the provider attested (a gapless, signed metering chain)
//! times the rate, and by the escrow.

use std::collections::BTreeMap;

use crate::{
    ed25519_authentication_key, AccountAddress, MeteringChain, MeteringError, MeteringVerdict,
    Octas, PublicKey, SignatureChecked, SignedMeteringRecord, SignedVoucher, StreamAccount,
    VoucherBook, VoucherContext, VoucherError,
};

/// When a stream is due for redemption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeskPolicy {
    /// A redeemable amount waits at most this long (from the voucher that made it
    /// redeemable) before it is planned.
    pub interval_ms: u64,
    /// A stream whose redeemable-but-unpaid amount reaches this is planned at once.
    pub threshold: Octas,
}

/// What the chain recorded when the stream opened (`payment_stream::StreamOpened`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamTerms {
    pub stream_id: u64,
    pub buyer_public_key: PublicKey,
    pub provider: AccountAddress,
    pub rate_per_second: Octas,
    pub escrow: Octas,
}

/// One stream in a plan: a `settle_batch` row, or a `close_stream` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedRedemption {
    pub stream_id: u64,
    pub kind: RedemptionKind,
    /// The voucher to redeem; `None` only for a close with nothing to pay.
    pub voucher: Option<SignedVoucher>,
    /// What the chain will pay now if nothing else settles first.
    pub expected_payment: Octas,
}

impl PlannedRedemption {
    pub fn cumulative_amount(&self) -> Octas {
        self.voucher
            .map(|v| v.voucher.cumulative_amount)
            .unwrap_or(Octas::ZERO)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedemptionKind {
    Settle,
    Close,
}

/// What offering a voucher or a metering record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offered {
    /// New information: kept.
    Accepted,
    /// Seen before or already paid; harmless, nothing changed.
    Duplicate,
    /// The stream is not known yet (its `StreamOpened` is still on its way through the
    /// log): held until it opens.
    Held,
}

/// Why a voucher or record is refused by the desk.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeskError {
    #[error(transparent)]
    Voucher(#[from] VoucherError),
    #[error(transparent)]
    Metering(#[from] MeteringError),
    #[error("stream {0} is closed")]
    Closed(u64),
    #[error("stream {0} is unknown")]
    UnknownStream(u64),
    #[error("too many messages held for streams not opened yet (limit {0})")]
    HoldFull(usize),
}

#[derive(Debug, Clone)]
struct DeskStream {
    terms: StreamTerms,
    account: StreamAccount,
    book: VoucherBook,
    metering: Option<MeteringChain>,
    closable: bool,
    /// A redemption of this amount was submitted and is not yet seen settled.
    inflight: Option<Octas>,
    /// Since when a redeemable, unpaid amount has been waiting (ms).
    due_since_ms: Option<u64>,
    /// When the newest settlement the desk learnt of was made (ms): no amount counts as
    /// waiting from before it, however old the message that brings it.
    settled_at_ms: u64,
    /// The chain refused a close because the stream is closed already (an earlier run
    /// closed it; its `StreamClosed` is not read yet): nothing more to plan.
    closed_on_chain: bool,
    /// Seconds beyond those attested a redeemed voucher may pay (the desk's lead).
    lead_secs: u64,
}

impl DeskStream {
    /// The voucher to redeem now: the largest within (attested seconds + the lead) × rate
    /// and the escrow. Buyers pay a little ahead of what was served (x402
    /// `maxCumulativeAmount`), so their newest voucher may exceed what was attested by the
    /// lead; redeeming it is what they signed (their exposure is the seconds paid ahead),
    /// while redeeming only up to the attested seconds would leave the provider short by a
    /// whole voucher step.
    fn redeemable(&self) -> Option<SignedVoucher> {
        self.book
            .best_at_most(self.account.accrued_with_lead(self.lead_secs))
            .copied()
    }

    fn redeemable_amount(&self) -> Octas {
        self.redeemable()
            .map(|v| v.voucher.cumulative_amount)
            .unwrap_or(Octas::ZERO)
    }

    /// Starts or stops the due clock. `at_ms` is when the information that changed the
    /// redeemable amount was produced; a message read late (a lagging log) starts the clock
    /// no earlier than the stream's last settlement, so it cannot make a stream due at once.
    fn refresh_due(&mut self, at_ms: u64) {
        let unpaid = self.redeemable_amount() > self.account.paid;
        match (unpaid, self.due_since_ms) {
            (true, None) => self.due_since_ms = Some(at_ms.max(self.settled_at_ms)),
            (false, Some(_)) => self.due_since_ms = None,
            _ => {}
        }
    }
}

#[derive(Debug, Clone)]
enum HeldMessage {
    Voucher(SignatureChecked<SignedVoucher>),
    Record(SignatureChecked<SignedMeteringRecord>),
}

/// Per-stream settlement state of one settler shard. Pure: time comes in as arguments.
#[derive(Debug, Clone)]
pub struct SettlementDesk {
    ctx: VoucherContext,
    streams: BTreeMap<u64, DeskStream>,
    closed: BTreeMap<u64, Octas>,
    held: BTreeMap<u64, Vec<HeldMessage>>,
    held_count: usize,
    held_limit: usize,
    /// Seconds beyond those attested a redeemed voucher may pay ([`SettlementDesk::with_lead`]).
    lead_secs: u64,
    /// When the last settle round was planned (ms): the next waits an interval.
    last_round_ms: Option<u64>,
}

/// Aggregate figures for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeskTotals {
    pub open_streams: u64,
    pub closed_streams: u64,
    /// Redeemable now but not yet paid, summed over open streams.
    pub unsettled: Octas,
    /// Paid on chain, summed over every stream seen.
    pub paid: Octas,
    pub held_messages: u64,
}

impl SettlementDesk {
    /// `held_limit` bounds the messages kept for streams whose opening is not seen yet.
    pub fn new(ctx: VoucherContext, held_limit: usize) -> Self {
        SettlementDesk {
            ctx,
            streams: BTreeMap::new(),
            closed: BTreeMap::new(),
            held: BTreeMap::new(),
            held_count: 0,
            held_limit,
            lead_secs: 0,
            last_round_ms: None,
        }
    }

    /// Redeems vouchers paying up to `secs` seconds beyond those attested (the resource
    /// servers' `payment_ahead_secs`); 0 redeems only up to the attested seconds.
    pub fn with_lead(mut self, secs: u64) -> Self {
        self.lead_secs = secs;
        self
    }

    pub fn context(&self) -> VoucherContext {
        self.ctx
    }

    /// A stream opened on chain. Idempotent. Messages held for it are applied now; the
    /// ones that turn out invalid are returned with their reason.
    pub fn open(&mut self, terms: StreamTerms, now_ms: u64) -> Vec<DeskError> {
        if self.closed.contains_key(&terms.stream_id) || self.streams.contains_key(&terms.stream_id)
        {
            return Vec::new();
        }
        let account = StreamAccount::open(terms.stream_id, terms.rate_per_second, terms.escrow);
        let book = VoucherBook::new(
            self.ctx,
            terms.stream_id,
            terms.buyer_public_key,
            terms.escrow,
        );
        self.streams.insert(
            terms.stream_id,
            DeskStream {
                terms,
                account,
                book,
                metering: None,
                closable: false,
                inflight: None,
                due_since_ms: None,
                settled_at_ms: 0,
                closed_on_chain: false,
                lead_secs: self.lead_secs,
            },
        );
        let mut errors = Vec::new();
        if let Some(held) = self.held.remove(&terms.stream_id) {
            self.held_count -= held.len();
            for m in held {
                let r = match m {
                    HeldMessage::Voucher(v) => self.offer_voucher(v, now_ms),
                    HeldMessage::Record(r) => self.attest(r, now_ms),
                };
                if let Err(e) = r {
                    errors.push(e);
                }
            }
        }
        errors
    }

    /// The escrow of a stream now totals `total` (a top-up).
    pub fn deposited(&mut self, stream_id: u64, total: Octas) {
        if let Some(s) = self.streams.get_mut(&stream_id) {
            s.account.escrow = s.account.escrow.max(total);
            s.book.set_escrow(total);
        }
    }

    /// The stream's job reached a terminal status: the stream may be closed by anyone.
    pub fn closable(&mut self, stream_id: u64) {
        if let Some(s) = self.streams.get_mut(&stream_id) {
            s.closable = true;
        }
    }

    /// A buyer voucher (signature already verified). Checks chain, package, stream and
    /// buyer key, and the escrow bound.
    pub fn offer_voucher(
        &mut self,
        v: SignatureChecked<SignedVoucher>,
        now_ms: u64,
    ) -> Result<Offered, DeskError> {
        let stream_id = v.get().voucher.stream_id;
        if self.closed.contains_key(&stream_id) {
            return Err(DeskError::Closed(stream_id));
        }
        let Some(s) = self.streams.get_mut(&stream_id) else {
            return self.hold(stream_id, HeldMessage::Voucher(v));
        };
        let amount = v.get().voucher.cumulative_amount;
        let new = s.book.offer_checked(v)?;
        if new {
            s.account.observe_voucher(amount);
            s.refresh_due(now_ms);
            Ok(Offered::Accepted)
        } else {
            Ok(Offered::Duplicate)
        }
    }

    /// Checks a voucher as a facilitator's `verify` does, without keeping it: valid for
    /// this stream, within escrow, and strictly above every amount seen before (a payment
    /// must advance the cumulative amount).
    pub fn check_new_voucher(&self, v: &SignatureChecked<SignedVoucher>) -> Result<(), DeskError> {
        let sv = v.get();
        let stream_id = sv.voucher.stream_id;
        if self.closed.contains_key(&stream_id) {
            return Err(DeskError::Closed(stream_id));
        }
        let s = self
            .streams
            .get(&stream_id)
            .ok_or(DeskError::UnknownStream(stream_id))?;
        sv.verify_context(&self.ctx, stream_id, &s.terms.buyer_public_key)?;
        let amount = sv.voucher.cumulative_amount;
        if amount > s.account.escrow {
            return Err(VoucherError::ExceedsEscrow {
                escrow: s.account.escrow,
                got: amount,
            }
            .into());
        }
        let newest = s.book.newest_amount().max(s.account.paid);
        if amount <= newest {
            return Err(VoucherError::Decreasing {
                newest,
                got: amount,
            }
            .into());
        }
        Ok(())
    }

    /// A provider-signed metering record (signature already verified). The first record
    /// binds the provider's key: its authentication key must be the stream's provider.
    pub fn attest(
        &mut self,
        r: SignatureChecked<SignedMeteringRecord>,
        now_ms: u64,
    ) -> Result<Offered, DeskError> {
        let stream_id = r.get().record.stream_id;
        if self.closed.contains_key(&stream_id) {
            return Ok(Offered::Duplicate);
        }
        let ctx = self.ctx;
        let Some(s) = self.streams.get_mut(&stream_id) else {
            return self.hold(stream_id, HeldMessage::Record(r));
        };
        let key = r.get().provider_public_key;
        let chain = match &mut s.metering {
            Some(c) => c,
            None => {
                if ed25519_authentication_key(&key) != s.terms.provider {
                    return Err(MeteringError::WrongSigner.into());
                }
                s.metering.insert(MeteringChain::new(ctx, stream_id, key))
            }
        };
        match chain.accept_checked(&r)? {
            MeteringVerdict::Appended => {
                let seconds = chain.attested_seconds();
                s.account
                    .attest(seconds)
                    .map_err(|_| DeskError::Closed(stream_id))?;
                s.refresh_due(now_ms);
                Ok(Offered::Accepted)
            }
            MeteringVerdict::Duplicate | MeteringVerdict::Stale => Ok(Offered::Duplicate),
        }
    }

    /// The chain paid `paid_total` in total on the stream (`StreamSettled`, or the
    /// settler's own confirmation of its transaction), learnt at `at_ms`. Returns, when this
    /// settled what had been waiting, since when it had waited (ms), for the settlement-lag
    /// metric.
    ///
    /// A total not above what is known already (the indexed event of a settlement the
    /// settler confirmed itself, read later; a duplicate) changes nothing: re-arming the
    /// due clock from such an event's old time made every stream due at once whenever the
    /// log lagged the chain by more than the interval, and each such round's own late
    /// events did it again (the soak's settlement cascade, docs/BENCHMARKS.md finding 7).
    pub fn settled(&mut self, stream_id: u64, paid_total: Octas, at_ms: u64) -> Option<u64> {
        let s = self.streams.get_mut(&stream_id)?;
        let advanced = paid_total > s.account.paid;
        s.account.record_paid_total(paid_total);
        s.book.mark_paid(paid_total);
        if s.inflight.is_some_and(|a| a <= s.account.paid) {
            s.inflight = None;
        }
        if !advanced {
            return None;
        }
        let waited = s.due_since_ms;
        s.settled_at_ms = s.settled_at_ms.max(at_ms);
        s.due_since_ms = None;
        s.refresh_due(at_ms);
        waited.filter(|_| s.due_since_ms.is_none())
    }

    /// Whether messages are held for `stream_id`'s opening.
    pub fn is_held(&self, stream_id: u64) -> bool {
        self.held.contains_key(&stream_id)
    }

    /// The streams with messages held for their opening, lowest id first.
    pub fn held_streams(&self) -> Vec<u64> {
        self.held.keys().copied().collect()
    }

    /// Drops the messages held for those of `streams` still not opened: streams that do not
    /// exist (a message is only ever stored for a stream opened on chain before it, so once
    /// the chain's events up to a message's time are read, its stream is known). Returns
    /// how many messages were dropped.
    pub fn drop_orphans(&mut self, streams: &[u64]) -> usize {
        let mut dropped = 0;
        for id in streams {
            if let Some(held) = self.held.remove(id) {
                dropped += held.len();
            }
        }
        self.held_count -= dropped;
        dropped
    }

    /// The chain closed the stream (`StreamClosed`): final total paid.
    pub fn closed(&mut self, stream_id: u64, paid_total: Octas) {
        self.streams.remove(&stream_id);
        self.closed.insert(stream_id, paid_total);
        if let Some(held) = self.held.remove(&stream_id) {
            self.held_count -= held.len();
        }
    }

    /// Streams to redeem now, oldest waiting first: closable streams get a close (with the
    /// best redeemable voucher, or none), open ones whose redeemable amount has waited
    /// `interval_ms` or reached `threshold` get a settle row, and when any does, so does
    /// every other stream with something redeemable. Streams with a redemption in
    /// flight are left alone until it is seen settled or [`SettlementDesk::abandoned`].
    ///
    /// Settle rounds are at least `interval_ms` apart unless an amount reached `threshold`
    /// (closes are never held back). Without that, the streams that missed a round (in
    /// flight, or their vouchers still on their way through the log) came due at their own
    /// moments, each taking every stream with a second's worth of vouchers along, and the
    /// rounds split into many small ones (5–41 a minute instead of 6 in the re-soak of
    /// 2026-12-07, docs/BENCHMARKS.md finding 7).
    pub fn plan(&mut self, now_ms: u64, policy: &DeskPolicy) -> Vec<PlannedRedemption> {
        let mut due: Vec<(u64, PlannedRedemption)> = Vec::new();
        let mut waiting: Vec<(u64, PlannedRedemption)> = Vec::new();
        let mut settle_due = false;
        let paced = self
            .last_round_ms
            .is_none_or(|r| now_ms.saturating_sub(r) >= policy.interval_ms);
        for (&stream_id, s) in &self.streams {
            if s.inflight.is_some() || s.closed_on_chain {
                continue;
            }
            let voucher = s.redeemable();
            let amount = voucher
                .map(|v| v.voucher.cumulative_amount)
                .unwrap_or(Octas::ZERO);
            let expected_payment =
                crate::settlement::payout(s.account.paid, amount, s.account.escrow);
            if s.closable {
                due.push((
                    s.due_since_ms.unwrap_or(0),
                    PlannedRedemption {
                        stream_id,
                        kind: RedemptionKind::Close,
                        voucher: voucher.filter(|_| expected_payment > Octas::ZERO),
                        expected_payment,
                    },
                ));
                continue;
            }
            let Some(since) = s.due_since_ms else {
                continue;
            };
            if expected_payment == Octas::ZERO {
                continue;
            }
            let row = PlannedRedemption {
                stream_id,
                kind: RedemptionKind::Settle,
                voucher,
                expected_payment,
            };
            if (paced && now_ms.saturating_sub(since) >= policy.interval_ms)
                || expected_payment >= policy.threshold
            {
                due.push((since, row));
                settle_due = true;
            } else {
                waiting.push((since, row));
            }
        }
        // A transaction is paid per transaction, not per row: once a batch goes out, every
        // stream with something redeemable rides along (and their intervals align).
        if settle_due {
            self.last_round_ms = Some(now_ms);
            due.append(&mut waiting);
        }
        due.sort_by_key(|(since, p)| (*since, p.stream_id));
        due.into_iter().map(|(_, p)| p).collect()
    }

    /// The chain says the stream is closed (a close was refused with `E_STREAM_CLOSED`): plan
    /// nothing more for it; its `StreamClosed` event, when read, removes it.
    pub fn closed_on_chain(&mut self, stream_id: u64) {
        if let Some(s) = self.streams.get_mut(&stream_id) {
            s.closed_on_chain = true;
            s.inflight = None;
        }
    }

    /// These redemptions were submitted: do not plan them again until settled.
    pub fn submitted(&mut self, items: &[PlannedRedemption]) {
        for p in items {
            if let Some(s) = self.streams.get_mut(&p.stream_id) {
                s.inflight = Some(p.cumulative_amount());
            }
        }
    }

    /// These redemptions did not happen (rejected, failed, or unconfirmed): plan again (a
    /// settle row in the next paced round). Redeeming the same voucher twice pays nothing
    /// the second time, so this is safe even when the first attempt did in fact commit.
    pub fn abandoned(&mut self, items: &[PlannedRedemption]) {
        for p in items {
            if let Some(s) = self.streams.get_mut(&p.stream_id) {
                s.inflight = None;
            }
        }
    }

    /// The stream's accounting, if it is open here.
    pub fn account(&self, stream_id: u64) -> Option<&StreamAccount> {
        self.streams.get(&stream_id).map(|s| &s.account)
    }

    pub fn terms(&self, stream_id: u64) -> Option<&StreamTerms> {
        self.streams.get(&stream_id).map(|s| &s.terms)
    }

    /// Paid in total on a stream, open or closed.
    pub fn paid(&self, stream_id: u64) -> Option<Octas> {
        self.streams
            .get(&stream_id)
            .map(|s| s.account.paid)
            .or_else(|| self.closed.get(&stream_id).copied())
    }

    pub fn is_closed(&self, stream_id: u64) -> bool {
        self.closed.contains_key(&stream_id)
    }

    /// `(accrued, redeemable, paid)` of one stream, for diagnostics.
    pub fn stream_state(&self, stream_id: u64) -> Option<(Octas, Octas, Octas)> {
        self.streams
            .get(&stream_id)
            .map(|s| (s.account.accrued(), s.redeemable_amount(), s.account.paid))
    }

    pub fn totals(&self) -> DeskTotals {
        let mut t = DeskTotals {
            open_streams: self.streams.len() as u64,
            closed_streams: self.closed.len() as u64,
            held_messages: self.held_count as u64,
            ..DeskTotals::default()
        };
        for s in self.streams.values() {
            let redeemable = s.redeemable_amount();
            t.unsettled = t
                .unsettled
                .saturating_add(redeemable.saturating_sub(s.account.paid));
            t.paid = t.paid.saturating_add(s.account.paid);
        }
        for p in self.closed.values() {
            t.paid = t.paid.saturating_add(*p);
        }
        t
    }

    fn hold(&mut self, stream_id: u64, m: HeldMessage) -> Result<Offered, DeskError> {
        if self.held_count >= self.held_limit {
            return Err(DeskError::HoldFull(self.held_limit));
        }
        self.held.entry(stream_id).or_default().push(m);
        self.held_count += 1;
        Ok(Offered::Held)
    }
}

#[cfg(test)]
mod tests;
