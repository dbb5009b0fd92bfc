//! The desk's cadence under a late log: however late the settler reads the chain's events
//! (an indexer behind the chain on a saturated machine) or the buyers' vouchers, and however
//! long a transaction takes to commit, streams that are paid every second are settled about
//! once per `interval_ms`, never in a cascade of rounds.
//!
//! The soak of 2026-12-07 (docs/BENCHMARKS.md, finding 7) saw the opposite: after a hiccup
//! the settler sent a `settle_batch` about every second for the rest of the run, 1,988
//! transactions where ~740 were due. The cause: a `StreamSettled` event read late (its
//! settlement already known from the settler's own confirmation) re-armed the stream's due
//! clock at the event's old chain time, so the stream was due at once, every other stream
//! rode along, and each such round's own late events did the same again.
//!
//! The simulation is deterministic: a clock in milliseconds, a queue of deliveries, the
//! settler's loop (plan each second, confirm after the commit delay, read the log after its
//! lag) and the desk under test.

use std::collections::BTreeMap;

use computestream_domain::{
    ed25519_authentication_key, AccountAddress, DeskPolicy, MeteringRecord, Octas,
    PlannedRedemption, RecordHash, RedemptionKind, SettlementDesk, SignatureChecked, SigningKey,
    StreamTerms, Voucher, VoucherContext, METERING_GENESIS_HASH,
};
use proptest::prelude::*;

const RATE: u64 = 1_000;
const INTERVAL_MS: u64 = 10_000;
const RUN_MS: u64 = 300_000;

fn ctx() -> VoucherContext {
    VoucherContext {
        chain_id: 4,
        package: AccountAddress::new([0xcd; 32]),
    }
}

/// How late things are, in milliseconds.
#[derive(Debug, Clone, Copy)]
struct Lags {
    /// From a chain commit to the settler reading its `StreamSettled` from the log.
    chain_log: u64,
    /// From a buyer's voucher (or a provider's record) to the settler reading it.
    message_log: u64,
    /// From submitting a transaction to the settler seeing it committed.
    commit: u64,
    /// From submitting to the commit's chain timestamp (at most `commit`).
    commit_chain: u64,
}

#[derive(Debug)]
enum Delivery {
    Voucher(SignatureChecked<computestream_domain::SignedVoucher>, u64),
    Record(
        SignatureChecked<computestream_domain::SignedMeteringRecord>,
        u64,
    ),
    /// The settler's own confirmation of a committed transaction.
    Confirmed(Vec<PlannedRedemption>, Vec<(u64, Octas)>),
    /// The indexed `StreamSettled` event: stream, paid total, chain time.
    SettledEvent(u64, Octas, u64),
}

struct Streams {
    buyer: SigningKey,
    provider: SigningKey,
    heads: Vec<RecordHash>,
    /// Paid on chain per stream (the model of the chain: `cumulative - paid`).
    paid: Vec<Octas>,
}

impl Streams {
    fn new(n: usize) -> Self {
        Streams {
            buyer: SigningKey::from_seed([5; 32]),
            provider: SigningKey::from_seed([6; 32]),
            heads: vec![METERING_GENESIS_HASH; n],
            paid: vec![Octas::ZERO; n],
        }
    }

    fn terms(&self, stream_id: u64) -> StreamTerms {
        StreamTerms {
            stream_id,
            buyer_public_key: self.buyer.public_key(),
            provider: ed25519_authentication_key(&self.provider.public_key()),
            rate_per_second: Octas(RATE),
            escrow: Octas(RATE * (RUN_MS / 1000 + 10)),
        }
    }

    fn voucher(
        &self,
        stream_id: u64,
        seconds: u64,
    ) -> SignatureChecked<computestream_domain::SignedVoucher> {
        let v = Voucher {
            chain_id: 4,
            package: ctx().package,
            stream_id,
            cumulative_amount: Octas(seconds * RATE),
        }
        .sign(&self.buyer);
        SignatureChecked::voucher(v).expect("signed")
    }

    fn record(
        &mut self,
        stream_id: u64,
        second: u64,
        at_ms: u64,
    ) -> SignatureChecked<computestream_domain::SignedMeteringRecord> {
        let i = (stream_id - 1) as usize;
        let r = MeteringRecord {
            chain_id: 4,
            package: ctx().package,
            stream_id,
            provider: ed25519_authentication_key(&self.provider.public_key()),
            second,
            prev_hash: self.heads[i],
            observed_at_ms: at_ms,
            cpu_usage_micros: 1,
            memory_bytes: 1,
            gpu: None,
        };
        self.heads[i] = r.hash();
        SignatureChecked::metering(r.sign(&self.provider)).expect("signed")
    }

    /// The chain runs a `settle_batch`: pays each row `cumulative - paid`.
    fn commit(&mut self, items: &[PlannedRedemption]) -> Vec<(u64, Octas)> {
        items
            .iter()
            .filter(|p| p.kind == RedemptionKind::Settle)
            .map(|p| {
                let i = (p.stream_id - 1) as usize;
                self.paid[i] = self.paid[i].max(p.cumulative_amount());
                (p.stream_id, self.paid[i])
            })
            .collect()
    }
}

/// Runs the settler's loop for `RUN_MS` over `n` streams paid every second, each stream's
/// second starting at its own phase (ms, a multiple of 100: the clock's step); returns the
/// settle rounds sent, as (time, rows).
fn rounds(n: usize, phases: &[u64], lags: Lags) -> Vec<(u64, usize)> {
    let policy = DeskPolicy {
        interval_ms: INTERVAL_MS,
        threshold: Octas(u64::MAX),
    };
    let mut streams = Streams::new(n);
    let mut desk = SettlementDesk::new(ctx(), 10_000);
    for id in 1..=n as u64 {
        assert!(desk.open(streams.terms(id), 0).is_empty());
    }
    // (deliver at, order) -> delivery; the log is read in order.
    let mut log: BTreeMap<(u64, u64), Delivery> = BTreeMap::new();
    let mut order = 0u64;
    let mut push = |log: &mut BTreeMap<(u64, u64), Delivery>, at: u64, d: Delivery| {
        order += 1;
        log.insert((at, order), d);
    };
    let mut sent = Vec::new();
    let mut now = 0;
    while now < RUN_MS {
        // Buyers and providers: second s of stream i happens at s * 1000 + phase.
        for (i, phase) in phases.iter().enumerate() {
            let id = i as u64 + 1;
            if now >= *phase && (now - phase) % 1000 == 0 {
                let second = (now - phase) / 1000 + 1;
                let at = now;
                let r = streams.record(id, second, at);
                let v = streams.voucher(id, second);
                let deliver = at + lags.message_log;
                push(&mut log, deliver, Delivery::Record(r, at));
                push(&mut log, deliver, Delivery::Voucher(v, at));
            }
        }
        // Everything due by now reaches the desk, in log order.
        while let Some(entry) = log.first_entry() {
            if entry.key().0 > now {
                break;
            }
            match entry.remove() {
                Delivery::Voucher(v, at_ms) => {
                    desk.offer_voucher(v, at_ms).expect("valid voucher");
                }
                Delivery::Record(r, at_ms) => {
                    desk.attest(r, at_ms).expect("valid record");
                }
                Delivery::Confirmed(items, paid) => {
                    for (id, total) in paid {
                        desk.settled(id, total, now);
                    }
                    desk.abandoned(&items);
                }
                Delivery::SettledEvent(id, total, chain_at) => {
                    desk.settled(id, total, chain_at);
                }
            }
        }
        // The settler plans once a second.
        if now % 1000 == 0 {
            let plan = desk.plan(now, &policy);
            if !plan.is_empty() {
                desk.submitted(&plan);
                sent.push((now, plan.len()));
                let paid = streams.commit(&plan);
                let chain_at = now + lags.commit_chain;
                for &(id, total) in &paid {
                    push(
                        &mut log,
                        chain_at + lags.chain_log,
                        Delivery::SettledEvent(id, total, chain_at),
                    );
                }
                push(&mut log, now + lags.commit, Delivery::Confirmed(plan, paid));
            }
        }
        now += 100;
    }
    sent
}

/// No two rounds closer than the interval: every stream in a round waits a whole interval
/// from its settlement before it is due again, and the streams that miss a round (in
/// flight, or nothing redeemable yet) are due at most once before they ride along again.
fn assert_cadence(sent: &[(u64, usize)], lags: Lags) {
    let close: Vec<_> = sent
        .windows(2)
        .filter(|w| w[1].0 - w[0].0 < INTERVAL_MS)
        .map(|w| (w[0].0, w[1].0))
        .collect();
    assert!(
        close.len() <= 1,
        "{} settle rounds in {} s with {lags:?}; rounds closer than the interval: {close:?}",
        sent.len(),
        RUN_MS / 1000,
    );
}

#[test]
fn a_chain_log_later_than_the_interval_causes_no_cascade() {
    // The soak's case: the indexer ~15 s behind the chain, confirmations in ~1.5 s.
    let phases: Vec<u64> = (0..20).map(|i| (i * 100) % 1000).collect();
    let lags = Lags {
        chain_log: 15_000,
        message_log: 300,
        commit: 1_500,
        commit_chain: 1_000,
    };
    assert_cadence(&rounds(20, &phases, lags), lags);
}

#[test]
fn prompt_logs_settle_every_interval() {
    let phases: Vec<u64> = (0..20).map(|i| (i * 100) % 1000).collect();
    let lags = Lags {
        chain_log: 500,
        message_log: 100,
        commit: 1_000,
        commit_chain: 800,
    };
    let sent = rounds(20, &phases, lags);
    assert_cadence(&sent, lags);
    // Due an interval after each confirmation: one round per interval plus the commit.
    let rounds_due = RUN_MS / (INTERVAL_MS + lags.commit.next_multiple_of(1_000));
    assert!(
        sent.len() >= rounds_due as usize - 1,
        "streams paid every second are settled each interval: {sent:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn however_late_the_log_rounds_keep_the_interval(
        n in 2usize..12,
        phase_step in 0u64..10,
        chain_log in 0u64..40_000,
        message_log in 0u64..15_000,
        commit_chain in 100u64..5_000,
        confirm_after in 0u64..3_000,
    ) {
        let phases: Vec<u64> = (0..n as u64).map(|i| (i * phase_step * 100) % 1000).collect();
        let lags = Lags {
            chain_log,
            message_log,
            commit: commit_chain + confirm_after,
            commit_chain,
        };
        assert_cadence(&rounds(n, &phases, lags), lags);
    }
}
