//! Property tests of the settler's desk against a model of the chain: whatever the order of
//! vouchers and metering records, however often the settler crashes (and rebuilds from
//! the log), loses a submission, or submits the same redemption twice, the chain ends up
//! paying each stream exactly the largest valid voucher that is within the attested seconds
//! times the rate and the escrow, and escrow conservation holds.

use computestream_domain::settlement::{close, redeem};
use computestream_domain::{
    ed25519_authentication_key, AccountAddress, DeskPolicy, EscrowLedger, MeteringRecord, Octas,
    PlannedRedemption, RecordHash, RedemptionKind, SettlementDesk, SignatureChecked, SigningKey,
    StreamTerms, Voucher, VoucherContext, METERING_GENESIS_HASH,
};
use proptest::prelude::*;

const RATE: u64 = 7;
const ESCROW: u64 = 200;

fn ctx() -> VoucherContext {
    VoucherContext {
        chain_id: 4,
        package: AccountAddress::new([0xab; 32]),
    }
}

/// What the settler reads from the log, in log order.
#[derive(Debug, Clone)]
enum Input {
    Opened,
    Voucher(u64),
    Tick(u64),
    Settled(Octas),
    Closable,
    Closed(Octas),
}

#[derive(Debug, Clone)]
enum Step {
    Voucher(u64),
    Tick,
    Plan,
    /// The last submission is lost before it commits.
    LoseNext,
    /// The last committed transaction is submitted again (crash after submit).
    Resubmit,
    /// The settler crashes and rebuilds from the log.
    Crash,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => (1u64..260).prop_map(Step::Voucher),
        5 => Just(Step::Tick),
        3 => Just(Step::Plan),
        1 => Just(Step::LoseNext),
        1 => Just(Step::Resubmit),
        1 => Just(Step::Crash),
    ]
}

struct Chain {
    ledger: EscrowLedger,
    paid: Octas,
    closed: bool,
}

struct World {
    buyer: SigningKey,
    provider: SigningKey,
    log: Vec<Input>,
    records: Vec<SignatureChecked<computestream_domain::SignedMeteringRecord>>,
    head: RecordHash,
    chain: Chain,
    last: Vec<PlannedRedemption>,
    lose_next: bool,
}

impl World {
    fn terms(&self) -> StreamTerms {
        StreamTerms {
            stream_id: 1,
            buyer_public_key: self.buyer.public_key(),
            provider: ed25519_authentication_key(&self.provider.public_key()),
            rate_per_second: Octas(RATE),
            escrow: Octas(ESCROW),
        }
    }

    fn voucher(&self, amount: u64) -> SignatureChecked<computestream_domain::SignedVoucher> {
        let v = Voucher {
            chain_id: 4,
            package: ctx().package,
            stream_id: 1,
            cumulative_amount: Octas(amount),
        }
        .sign(&self.buyer);
        SignatureChecked::voucher(v).expect("signed")
    }

    fn tick(&mut self) {
        let second = self.records.len() as u64 + 1;
        let r = MeteringRecord {
            chain_id: 4,
            package: ctx().package,
            stream_id: 1,
            provider: ed25519_authentication_key(&self.provider.public_key()),
            second,
            prev_hash: self.head,
            observed_at_ms: second,
            cpu_usage_micros: 0,
            memory_bytes: 0,
            gpu: None,
        };
        self.head = r.hash();
        let signed = SignatureChecked::metering(r.sign(&self.provider)).expect("signed");
        self.records.push(signed);
        self.log.push(Input::Tick(second));
    }

    fn apply(&self, desk: &mut SettlementDesk, input: &Input) {
        match input {
            Input::Opened => {
                desk.open(self.terms(), 0);
            }
            Input::Voucher(a) => {
                let _ = desk.offer_voucher(self.voucher(*a), 0);
            }
            Input::Tick(s) => {
                let _ = desk.attest(self.records[*s as usize - 1], 0);
            }
            Input::Settled(total) => {
                desk.settled(1, *total, 0);
            }
            Input::Closable => desk.closable(1),
            Input::Closed(total) => desk.closed(1, *total),
        }
    }

    fn rebuild(&self) -> SettlementDesk {
        let mut desk = SettlementDesk::new(ctx(), 10_000);
        for i in &self.log {
            self.apply(&mut desk, i);
        }
        desk
    }

    /// Executes redemptions as the contract does, appending the chain's events to the log.
    fn execute(&mut self, items: &[PlannedRedemption]) {
        for p in items {
            if self.chain.closed {
                continue;
            }
            let cumulative = p.voucher.map(|v| v.voucher.cumulative_amount);
            match p.kind {
                RedemptionKind::Settle => {
                    let c = cumulative.expect("settle rows carry a voucher");
                    redeem(&mut self.chain.ledger, &mut self.chain.paid, c).expect("redeem");
                    self.log.push(Input::Settled(self.chain.paid));
                }
                RedemptionKind::Close => {
                    close(&mut self.chain.ledger, &mut self.chain.paid, cumulative).expect("close");
                    self.chain.closed = true;
                    self.log.push(Input::Closed(self.chain.paid));
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn chain_pays_exactly_the_best_bounded_voucher(steps in prop::collection::vec(step(), 1..80)) {
        let mut ledger = EscrowLedger::default();
        ledger.deposit(Octas(ESCROW)).expect("deposit");
        let mut w = World {
            buyer: SigningKey::from_seed([1; 32]),
            provider: SigningKey::from_seed([2; 32]),
            log: vec![Input::Opened],
            records: Vec::new(),
            head: METERING_GENESIS_HASH,
            chain: Chain { ledger, paid: Octas::ZERO, closed: false },
            last: Vec::new(),
            lose_next: false,
        };
        let policy = DeskPolicy { interval_ms: 0, threshold: Octas(1) };
        let mut desk = w.rebuild();
        let mut vouchers: Vec<u64> = Vec::new();
        for s in steps {
            match s {
                Step::Voucher(a) => {
                    vouchers.push(a);
                    w.log.push(Input::Voucher(a));
                    let i = w.log.last().cloned().expect("pushed");
                    w.apply(&mut desk, &i);
                }
                Step::Tick => {
                    w.tick();
                    let i = w.log.last().cloned().expect("pushed");
                    w.apply(&mut desk, &i);
                }
                Step::Plan => {
                    let plan = desk.plan(0, &policy);
                    desk.submitted(&plan);
                    if std::mem::take(&mut w.lose_next) {
                        desk.abandoned(&plan);
                    } else {
                        let before = w.log.len();
                        w.execute(&plan);
                        for i in &w.log[before..] {
                            w.apply(&mut desk, i);
                        }
                        w.last = plan;
                    }
                }
                Step::LoseNext => w.lose_next = true,
                Step::Resubmit => {
                    let again = w.last.clone();
                    let before = w.log.len();
                    w.execute(&again);
                    for i in &w.log[before..] {
                        w.apply(&mut desk, i);
                    }
                }
                Step::Crash => desk = w.rebuild(),
            }
            prop_assert!(w.chain.paid <= Octas(ESCROW));
            prop_assert!(w.chain.ledger.is_conserved());
        }
        // The job ends; the settler closes the stream.
        if !w.chain.closed {
            w.log.push(Input::Closable);
            desk = w.rebuild();
            let plan = desk.plan(0, &policy);
            w.execute(&plan);
        }
        let attested = Octas(RATE * w.records.len() as u64).min(Octas(ESCROW));
        let expected = vouchers
            .iter()
            .copied()
            .filter(|a| Octas(*a) <= attested && *a <= ESCROW)
            .max()
            .unwrap_or(0);
        prop_assert!(w.chain.closed);
        // Paid before the close may only have come from vouchers within the bound then,
        // and the bound only grows, so the final total is the best bounded voucher.
        prop_assert_eq!(w.chain.paid, Octas(expected));
        prop_assert!(w.chain.ledger.is_conserved());
        prop_assert_eq!(w.chain.ledger.refunded, Octas(ESCROW) .saturating_sub(Octas(expected)));
    }
}
