//! Property tests of the settlement invariants: for arbitrary interleavings, duplicates,
//! reorderings and forgeries of vouchers, the chain pays exactly the largest valid
//! cumulative amount (never more than the escrow), and escrow conservation always holds.

use computestream_domain::settlement::{close, redeem};
use computestream_domain::{
    AccountAddress, EscrowLedger, Octas, SignedVoucher, SigningKey, Voucher, VoucherBook,
    VoucherContext,
};
use proptest::prelude::*;

const STREAM: u64 = 42;

fn ctx() -> VoucherContext {
    VoucherContext {
        chain_id: 4,
        package: AccountAddress::new([0xab; 32]),
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// Deliver voucher `i` (of the generated list) to the settler.
    Deliver(usize),
    /// The settler redeems the best voucher it holds.
    Settle,
    /// A settlement transaction is replayed (crash after submit, resubmitted).
    ReplayLastSettlement,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => any::<prop::sample::Index>().prop_map(|i| Op::Deliver(i.index(usize::MAX))),
        2 => Just(Op::Settle),
        1 => Just(Op::ReplayLastSettlement),
    ]
}

struct Voucher_ {
    signed: SignedVoucher,
    valid: bool,
}

fn make_vouchers(amounts: &[(u64, u8)], buyer: &SigningKey, mallory: &SigningKey) -> Vec<Voucher_> {
    amounts
        .iter()
        .map(|&(amount, kind)| {
            let v = Voucher {
                chain_id: ctx().chain_id,
                package: ctx().package,
                stream_id: STREAM,
                cumulative_amount: Octas(amount),
            };
            match kind % 4 {
                // Signed by someone else.
                0 => Voucher_ {
                    signed: v.sign(mallory),
                    valid: false,
                },
                // Amount changed after signing.
                1 => {
                    let mut s = v.sign(buyer);
                    s.voucher.cumulative_amount = Octas(amount.wrapping_add(1));
                    Voucher_ {
                        signed: s,
                        valid: false,
                    }
                }
                _ => Voucher_ {
                    signed: v.sign(buyer),
                    valid: true,
                },
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn pays_exactly_the_largest_valid_voucher_never_above_escrow(
        escrow in 0u64..5_000,
        amounts in prop::collection::vec((0u64..6_000, any::<u8>()), 1..24),
        ops in prop::collection::vec(op(), 0..80),
    ) {
        let buyer = SigningKey::from_seed([1; 32]);
        let mallory = SigningKey::from_seed([2; 32]);
        let vouchers = make_vouchers(&amounts, &buyer, &mallory);

        let mut book = VoucherBook::new(ctx(), STREAM, buyer.public_key(), Octas(escrow));
        let mut ledger = EscrowLedger::default();
        ledger.deposit(Octas(escrow)).expect("deposit");
        let mut paid = Octas::ZERO;
        let mut last_redeemed: Option<Octas> = None;

        let mut run = |op: &Op, book: &mut VoucherBook, ledger: &mut EscrowLedger, paid: &mut Octas| {
            match op {
                Op::Deliver(i) => {
                    let v = &vouchers[i % vouchers.len()];
                    let res = book.offer(v.signed);
                    if !v.valid {
                        prop_assert!(res.is_err(), "a forged voucher was accepted");
                    }
                    if v.valid && v.signed.voucher.cumulative_amount.get() <= escrow {
                        prop_assert!(res.is_ok());
                    }
                }
                Op::Settle => {
                    if let Some(best) = book.newest().copied() {
                        redeem(ledger, paid, best.voucher.cumulative_amount).expect("redeem");
                        book.mark_paid(*paid);
                        last_redeemed = Some(best.voucher.cumulative_amount);
                    }
                }
                Op::ReplayLastSettlement => {
                    if let Some(c) = last_redeemed {
                        let before = *paid;
                        let now = redeem(ledger, paid, c).expect("redeem");
                        prop_assert_eq!(now, Octas::ZERO, "a replayed settlement paid again");
                        prop_assert_eq!(*paid, before);
                    }
                }
            }
            prop_assert!(ledger.is_conserved());
            prop_assert!(paid.get() <= escrow);
            Ok(())
        };

        for op in &ops {
            run(op, &mut book, &mut ledger, &mut paid)?;
        }
        // Finally every voucher arrives (at least once more), then the stream closes.
        for i in 0..vouchers.len() {
            run(&Op::Deliver(i), &mut book, &mut ledger, &mut paid)?;
        }
        let final_voucher = book.newest().map(|v| v.voucher.cumulative_amount);
        let outcome = close(&mut ledger, &mut paid, final_voucher).expect("close");

        let largest_valid = vouchers
            .iter()
            .filter(|v| v.valid)
            .map(|v| v.signed.voucher.cumulative_amount.get())
            .filter(|&a| a <= escrow)
            .max()
            .unwrap_or(0);
        prop_assert_eq!(paid.get(), largest_valid);
        prop_assert_eq!(ledger.released.get(), largest_valid);
        prop_assert_eq!(outcome.refund.get(), escrow - largest_valid);
        prop_assert_eq!(ledger.locked, Octas::ZERO);
        prop_assert!(ledger.is_conserved());
    }

    #[test]
    fn order_of_vouchers_does_not_change_the_payment(
        escrow in 1u64..10_000,
        amounts in prop::collection::vec(0u64..12_000, 1..16),
        seed in any::<u64>(),
    ) {
        let buyer = SigningKey::from_seed([1; 32]);
        let signed: Vec<SignedVoucher> = amounts.iter().map(|&a| Voucher {
            chain_id: ctx().chain_id, package: ctx().package, stream_id: STREAM,
            cumulative_amount: Octas(a),
        }.sign(&buyer)).collect();
        let mut shuffled = signed.clone();
        // Deterministic Fisher-Yates from the seed, with duplicates appended.
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        shuffled.extend(signed.iter().take(3).copied());

        let settle_all = |vs: &[SignedVoucher]| {
            let mut book = VoucherBook::new(ctx(), STREAM, buyer.public_key(), Octas(escrow));
            let mut ledger = EscrowLedger::default();
            ledger.deposit(Octas(escrow)).expect("deposit");
            let mut paid = Octas::ZERO;
            for v in vs {
                let _ = book.offer(*v);
                if let Some(best) = book.newest().copied() {
                    redeem(&mut ledger, &mut paid, best.voucher.cumulative_amount).expect("redeem");
                    book.mark_paid(paid);
                }
            }
            (paid, ledger)
        };
        let (a, la) = settle_all(&signed);
        let (b, lb) = settle_all(&shuffled);
        prop_assert_eq!(a, b);
        prop_assert!(la.is_conserved() && lb.is_conserved());
        let expected = amounts.iter().copied().filter(|&x| x <= escrow).max().unwrap_or(0);
        prop_assert_eq!(a.get(), expected);
    }

    #[test]
    fn escrow_conservation_under_any_release_sequence(
        deposits in prop::collection::vec(0u64..1_000_000, 1..4),
        releases in prop::collection::vec(0u64..2_000_000, 0..20),
    ) {
        let mut e = EscrowLedger::default();
        for d in deposits { e.deposit(Octas(d)).expect("deposit"); }
        for r in releases {
            let before = e;
            if e.release(Octas(r)).is_err() {
                prop_assert_eq!(e, before, "a failed release changed the ledger");
            }
            prop_assert!(e.is_conserved());
        }
        e.refund_rest().expect("refund");
        prop_assert!(e.is_conserved());
        prop_assert_eq!(e.locked, Octas::ZERO);
    }
}
