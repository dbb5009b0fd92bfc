//! Unit tests of the settlement desk.

use super::*;
use crate::{MeteringRecord, SigningKey, Voucher, METERING_GENESIS_HASH};

const RATE: u64 = 10;

fn ctx() -> VoucherContext {
    VoucherContext {
        chain_id: 4,
        package: "0xcafe".parse().expect("addr"),
    }
}

struct Fixture {
    stream_id: u64,
    buyer: SigningKey,
    provider: SigningKey,
    prev: crate::RecordHash,
    second: u64,
}

impl Fixture {
    fn new() -> Self {
        Fixture::for_stream(7)
    }

    fn for_stream(stream_id: u64) -> Self {
        Fixture {
            stream_id,
            buyer: SigningKey::from_seed([1; 32]),
            provider: SigningKey::from_seed([2; 32]),
            prev: METERING_GENESIS_HASH,
            second: 0,
        }
    }

    fn terms(&self, escrow: u64) -> StreamTerms {
        StreamTerms {
            stream_id: self.stream_id,
            buyer_public_key: self.buyer.public_key(),
            provider: ed25519_authentication_key(&self.provider.public_key()),
            rate_per_second: Octas(RATE),
            escrow: Octas(escrow),
        }
    }

    fn voucher(&self, amount: u64) -> SignatureChecked<SignedVoucher> {
        let v = Voucher {
            chain_id: 4,
            package: ctx().package,
            stream_id: self.stream_id,
            cumulative_amount: Octas(amount),
        }
        .sign(&self.buyer);
        SignatureChecked::voucher(v).expect("signed")
    }

    fn tick(&mut self) -> SignatureChecked<SignedMeteringRecord> {
        self.second += 1;
        let r = MeteringRecord {
            chain_id: 4,
            package: ctx().package,
            stream_id: self.stream_id,
            provider: ed25519_authentication_key(&self.provider.public_key()),
            second: self.second,
            prev_hash: self.prev,
            observed_at_ms: self.second * 1000,
            cpu_usage_micros: 1,
            memory_bytes: 1,
            gpu: None,
        };
        self.prev = r.hash();
        SignatureChecked::metering(r.sign(&self.provider)).expect("signed")
    }
}

fn policy() -> DeskPolicy {
    DeskPolicy {
        interval_ms: 30_000,
        threshold: Octas(1_000_000),
    }
}

#[test]
fn redeems_the_best_voucher_within_attested_seconds_after_the_interval() {
    let mut f = Fixture::new();
    let mut desk = SettlementDesk::new(ctx(), 100);
    // A voucher and two ticks arrive before the stream's opening: held.
    assert_eq!(desk.offer_voucher(f.voucher(30), 0), Ok(Offered::Held));
    assert_eq!(desk.attest(f.tick(), 0), Ok(Offered::Held));
    assert_eq!(desk.attest(f.tick(), 0), Ok(Offered::Held));
    assert!(desk.open(f.terms(1_000), 1_000).is_empty());
    // Attested 2 s x 10 = 20 < voucher 30: nothing redeemable yet.
    assert!(desk.plan(100_000, &policy()).is_empty());
    assert_eq!(
        desk.offer_voucher(f.voucher(20), 2_000),
        Ok(Offered::Accepted)
    );
    assert!(
        desk.plan(2_000, &policy()).is_empty(),
        "not due before the interval"
    );
    let plan = desk.plan(32_000, &policy());
    assert_eq!(plan.len(), 1);
    assert_eq!(plan[0].cumulative_amount(), Octas(20));
    assert_eq!(plan[0].kind, RedemptionKind::Settle);
    desk.submitted(&plan);
    assert!(desk.plan(40_000, &policy()).is_empty(), "in flight");
    assert_eq!(desk.settled(7, Octas(20), 41_000), Some(2_000));
    desk.attest(f.tick(), 41_000).expect("tick 3");
    // Now 30 is within 3 s x 10.
    let plan = desk.plan(72_000, &policy());
    assert_eq!(plan[0].cumulative_amount(), Octas(30));
    assert_eq!(plan[0].expected_payment, Octas(10));
}

#[test]
fn a_closable_stream_is_closed_with_its_best_voucher_or_none() {
    let mut f = Fixture::new();
    let mut desk = SettlementDesk::new(ctx(), 100);
    desk.open(f.terms(1_000), 0);
    desk.closable(7);
    let plan = desk.plan(0, &policy());
    assert_eq!(plan[0].kind, RedemptionKind::Close);
    assert_eq!(plan[0].voucher, None);
    desk.attest(f.tick(), 0).expect("tick");
    desk.offer_voucher(f.voucher(10), 0).expect("voucher");
    let plan = desk.plan(0, &policy());
    assert_eq!(plan[0].cumulative_amount(), Octas(10));
    desk.closed(7, Octas(10));
    assert!(desk.plan(0, &policy()).is_empty());
    assert_eq!(
        desk.offer_voucher(f.voucher(20), 0),
        Err(DeskError::Closed(7))
    );
    assert_eq!(desk.paid(7), Some(Octas(10)));
}

#[test]
fn a_stream_the_chain_says_is_closed_is_not_planned_again() {
    let mut f = Fixture::new();
    let mut desk = SettlementDesk::new(ctx(), 100);
    desk.open(f.terms(1_000), 0);
    desk.attest(f.tick(), 0).expect("tick");
    desk.offer_voucher(f.voucher(10), 0).expect("voucher");
    desk.closable(7);
    let plan = desk.plan(0, &policy());
    desk.submitted(&plan);
    desk.closed_on_chain(7);
    desk.abandoned(&plan);
    assert!(desk.plan(0, &policy()).is_empty(), "no second close");
    desk.closed(7, Octas(10));
    assert_eq!(desk.paid(7), Some(Octas(10)));
}

#[test]
fn once_one_stream_is_due_every_redeemable_stream_rides_along() {
    let mut f = Fixture::new();
    let mut desk = SettlementDesk::new(ctx(), 100);
    desk.open(f.terms(1_000), 0);
    let mut other = f.terms(1_000);
    other.stream_id = 8;
    other.buyer_public_key = f.buyer.public_key();
    desk.open(other, 0);
    desk.attest(f.tick(), 0).expect("tick");
    desk.offer_voucher(f.voucher(10), 0).expect("voucher");
    assert!(desk.plan(29_000, &policy()).is_empty());
    let plan = desk.plan(30_000, &policy());
    assert_eq!(plan.len(), 1, "stream 8 has nothing redeemable");
    assert_eq!(plan[0].stream_id, 7);
}

#[test]
fn threshold_plans_at_once_and_abandoned_plans_again() {
    let mut f = Fixture::new();
    let mut desk = SettlementDesk::new(ctx(), 100);
    desk.open(f.terms(1_000), 0);
    for _ in 0..5 {
        desk.attest(f.tick(), 0).expect("tick");
    }
    desk.offer_voucher(f.voucher(50), 0).expect("voucher");
    let p = DeskPolicy {
        interval_ms: 60_000,
        threshold: Octas(50),
    };
    let plan = desk.plan(1, &p);
    assert_eq!(plan.len(), 1);
    desk.submitted(&plan);
    desk.abandoned(&plan);
    assert_eq!(desk.plan(1, &p).len(), 1);
}

#[test]
fn facilitator_check_rejects_what_x402_rejects() {
    let mut f = Fixture::new();
    let mut desk = SettlementDesk::new(ctx(), 100);
    assert_eq!(
        desk.check_new_voucher(&f.voucher(10)),
        Err(DeskError::UnknownStream(7))
    );
    desk.open(f.terms(100), 0);
    assert_eq!(desk.check_new_voucher(&f.voucher(10)), Ok(()));
    desk.attest(f.tick(), 0).expect("tick");
    desk.offer_voucher(f.voucher(10), 0).expect("voucher");
    assert!(matches!(
        desk.check_new_voucher(&f.voucher(10)),
        Err(DeskError::Voucher(VoucherError::Decreasing { .. }))
    ));
    assert!(matches!(
        desk.check_new_voucher(&f.voucher(101)),
        Err(DeskError::Voucher(VoucherError::ExceedsEscrow { .. }))
    ));
    let mallory = SigningKey::from_seed([9; 32]);
    let forged = SignatureChecked::voucher(
        Voucher {
            chain_id: 4,
            package: ctx().package,
            stream_id: 7,
            cumulative_amount: Octas(20),
        }
        .sign(&mallory),
    )
    .expect("validly signed by the wrong key");
    assert_eq!(
        desk.check_new_voucher(&forged),
        Err(DeskError::Voucher(VoucherError::WrongSigner))
    );
}

#[test]
fn metering_from_another_key_than_the_streams_provider_is_refused() {
    let mut f = Fixture::new();
    let mut desk = SettlementDesk::new(ctx(), 1);
    let mut t = f.terms(100);
    t.provider = "0xbad".parse().expect("addr");
    desk.open(t, 0);
    assert_eq!(
        desk.attest(f.tick(), 0),
        Err(DeskError::Metering(MeteringError::WrongSigner))
    );
    assert_eq!(
        desk.offer_voucher(f.voucher(1), 0).ok(),
        Some(Offered::Accepted)
    );
    let mut other = SettlementDesk::new(ctx(), 1);
    other.offer_voucher(f.voucher(1), 0).expect("held");
    assert_eq!(
        other.offer_voucher(f.voucher(2), 0),
        Err(DeskError::HoldFull(1))
    );
}

#[test]
fn orphans_are_dropped_and_the_hold_has_room_again() {
    let f = Fixture::new();
    let mut desk = SettlementDesk::new(ctx(), 2);
    desk.offer_voucher(f.voucher(1), 0).expect("held");
    desk.offer_voucher(f.voucher(2), 0).expect("held");
    assert_eq!(desk.held_streams(), vec![f.terms(100).stream_id]);
    assert_eq!(
        desk.offer_voucher(f.voucher(3), 0),
        Err(DeskError::HoldFull(2))
    );
    // Its opening was not found where it must have been: the messages are dropped.
    assert_eq!(desk.drop_orphans(&desk.held_streams()), 2);
    assert_eq!(desk.totals().held_messages, 0);
    assert_eq!(desk.drop_orphans(&[7, 8]), 0, "nothing held for these");
    assert_eq!(
        desk.offer_voucher(f.voucher(3), 0).ok(),
        Some(Offered::Held)
    );
}

#[test]
fn a_voucher_paid_ahead_within_the_lead_is_redeemed_whole() {
    // The buyer paid ahead (vouchers for 2 s, then 7 s); 4 s are attested. Without a lead the
    // desk can only redeem the 2 s voucher; with a lead of 3 s it redeems the 7 s one.
    for (lead, redeemed) in [(0, 2 * RATE), (3, 7 * RATE)] {
        let mut f = Fixture::new();
        let mut desk = SettlementDesk::new(ctx(), 100).with_lead(lead);
        desk.open(f.terms(1_000), 0);
        for a in [2 * RATE, 7 * RATE] {
            desk.offer_voucher(f.voucher(a), 0).expect("voucher");
        }
        for _ in 0..4 {
            desk.attest(f.tick(), 0).expect("tick");
        }
        desk.closable(7);
        let plan = desk.plan(0, &policy());
        assert_eq!(plan[0].kind, RedemptionKind::Close);
        assert_eq!(plan[0].cumulative_amount(), Octas(redeemed), "lead {lead}");
    }
}

#[test]
fn a_settlement_read_again_later_leaves_the_due_clock_alone() {
    // The settler confirms its transaction at 41 s; the indexed StreamSettled of the same
    // settlement (chain time 40 s) is read at 60 s, when the log lags. Re-arming the clock
    // at 40 s would make the stream due at 70 s instead of 71 s, and a later event read
    // later still, at once.
    let mut f = Fixture::new();
    let mut desk = SettlementDesk::new(ctx(), 100);
    desk.open(f.terms(1_000), 0);
    desk.attest(f.tick(), 0).expect("tick");
    desk.offer_voucher(f.voucher(10), 0).expect("voucher");
    let plan = desk.plan(30_000, &policy());
    desk.submitted(&plan);
    desk.attest(f.tick(), 35_000).expect("tick");
    desk.offer_voucher(f.voucher(20), 35_000).expect("voucher");
    // 20 is still unpaid after either: no waiting ended, the clock restarts at 41 s.
    assert_eq!(desk.settled(7, Octas(10), 41_000), None, "own confirmation");
    assert_eq!(
        desk.settled(7, Octas(10), 40_000),
        None,
        "the same, read later"
    );
    assert!(
        desk.plan(70_500, &policy()).is_empty(),
        "not due before 71 s"
    );
    assert_eq!(desk.plan(71_000, &policy()).len(), 1);
}

#[test]
fn a_voucher_read_late_is_due_no_sooner_than_an_interval_after_the_last_settlement() {
    // A voucher made at 20 s reaches the desk after the settlement of 50 s: it waits from
    // 50 s, not from 20 s.
    let mut f = Fixture::new();
    let mut desk = SettlementDesk::new(ctx(), 100);
    desk.open(f.terms(1_000), 0);
    desk.attest(f.tick(), 0).expect("tick");
    desk.attest(f.tick(), 0).expect("tick");
    desk.offer_voucher(f.voucher(10), 0).expect("voucher");
    let plan = desk.plan(30_000, &policy());
    desk.submitted(&plan);
    assert_eq!(desk.settled(7, Octas(10), 50_000), Some(0));
    desk.offer_voucher(f.voucher(20), 20_000).expect("voucher");
    assert!(
        desk.plan(79_000, &policy()).is_empty(),
        "due at 80 s, not 50 s"
    );
    assert_eq!(
        desk.plan(80_000, &policy())[0].cumulative_amount(),
        Octas(20)
    );
}

#[test]
fn settle_rounds_are_an_interval_apart_unless_an_amount_reaches_the_threshold() {
    // Stream 7 is due at 30 s and settled; stream 8's first voucher, made at 10 s, is read
    // at 31 s (its partition lagged). On its own clock it is due at 40 s, but a round went
    // out at 30 s: it waits for the next, at 60 s, instead of starting a round of its own.
    let mut a = Fixture::new();
    let mut b = Fixture::for_stream(8);
    let mut desk = SettlementDesk::new(ctx(), 100);
    desk.open(a.terms(1_000), 0);
    desk.open(b.terms(1_000), 0);
    desk.attest(a.tick(), 0).expect("tick");
    desk.offer_voucher(a.voucher(10), 0).expect("voucher");
    let plan = desk.plan(30_000, &policy());
    assert_eq!(plan.len(), 1);
    desk.submitted(&plan);
    desk.settled(7, Octas(10), 30_500);
    desk.attest(b.tick(), 10_000).expect("tick");
    desk.offer_voucher(b.voucher(10), 10_000).expect("voucher");
    assert!(desk.plan(31_000, &policy()).is_empty(), "paced");
    assert!(desk.plan(40_000, &policy()).is_empty(), "paced");
    assert!(desk.plan(59_999, &policy()).is_empty(), "paced");
    let plan = desk.plan(60_000, &policy());
    assert_eq!(plan.len(), 1);
    assert_eq!(plan[0].stream_id, 8);
    // An amount at the threshold goes at once, paced or not.
    let urgent = DeskPolicy {
        interval_ms: 30_000,
        threshold: Octas(10),
    };
    desk.attest(a.tick(), 61_000).expect("tick");
    desk.offer_voucher(a.voucher(20), 61_000).expect("voucher");
    assert_eq!(desk.plan(61_000, &urgent).len(), 2);
}
