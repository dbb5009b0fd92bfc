//! 1,000 concurrent streams paying per second through the log, settled on the devnet by the
//! real settler: per stream the chain pays exactly the newest valid voucher within the
//! attested seconds (never above escrow); forged, tampered, replayed, reordered and
//! over-escrow vouchers pay nothing; every stream closes when its job ends; escrow is
//! conserved; and the settlement topic records each transaction's intent and outcome, with
//! every stream paid exactly once in total.

mod support;

use std::collections::{BTreeMap, HashMap};

use computestream_devnet::load;
use computestream_domain::{Octas, SigningKey, Voucher};
use computestream_runtime::Shutdown;
use computestream_schemas::{topics, Envelope, Event};
use computestream_testkit::chain::{cancel_jobs, identity};
use support::{settler_config, voucher_envelope, Pipeline, PROVIDERS};

const STREAMS: usize = 1_000;
const RATE: u64 = load::PRICE_PER_SECOND;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_streams_settle_exactly_the_newest_voucher() {
    let mut p = Pipeline::start(STREAMS).await;
    let setup_txns = p.committed_transactions();
    let stop = Shutdown::new();
    let settler = p
        .settler(settler_config(&p.running.rest_url()), stop.clone())
        .await;

    p.pay_seconds(3).await;
    // Bad and early vouchers for the first 50 streams.
    let mallory = SigningKey::from_seed([0x66; 32]);
    let mut bad = Vec::new();
    for s in p.streams.iter().take(50) {
        let forged = Voucher {
            chain_id: identity().chain_id,
            package: identity().package,
            stream_id: s.stream_id,
            cumulative_amount: Octas(9 * RATE),
        }
        .sign(&mallory);
        bad.push(voucher_envelope(s, forged));
        let mut tampered = s.voucher(Octas(3 * RATE));
        tampered.voucher.cumulative_amount = Octas(8 * RATE);
        bad.push(voucher_envelope(s, tampered));
        bad.push(voucher_envelope(s, s.voucher(Octas(load::ESCROW + 1))));
        // Replayed and reordered: second 1 again, after second 3.
        bad.push(voucher_envelope(s, s.voucher(Octas(RATE))));
        // Paid further ahead than the lead (1 s): valid, but redeemable only once the
        // provider attests 4 seconds.
        bad.push(voucher_envelope(s, s.voucher(Octas(5 * RATE))));
    }
    p.publish(&bad).await;
    p.wait_until(180, "3 attested seconds paid", |_, paid, _| {
        paid == 3 * RATE
    })
    .await;

    p.pay_seconds(2).await;
    p.wait_until(180, "5 seconds paid", |_, paid, _| paid == 5 * RATE)
        .await;
    assert!(p.escrow_conserved());

    cancel_jobs(&p.running, PROVIDERS, 0..STREAMS).await;
    p.wait_until(180, "every stream closed", |_, paid, open| {
        !open && paid == 5 * RATE
    })
    .await;
    assert!(p.escrow_conserved(), "escrow conservation on chain");
    let node_txns = p.committed_transactions() - setup_txns;
    let batches = node_txns - 2 * STREAMS as u64; // cancellations and closes
    let naive = (STREAMS * 5) as u64;
    println!("settle_batch transactions: {batches} for {naive} paid stream-seconds");
    assert!(
        batches * 100 <= naive,
        "{batches} batches is not 100x fewer than the naive {naive}"
    );

    stop.trigger();
    settler
        .task
        .await
        .expect("join")
        .expect("settler stopped cleanly");

    // The settlement topic: every intent has an outcome; confirmed payments add up to
    // exactly what the chain paid, once per stream.
    let records = computestream_testkit::read_topic(
        &p.kafka,
        topics::SETTLEMENT.name,
        topics::SETTLEMENT.partitions,
    )
    .await;
    let mut submitted = HashMap::new();
    let mut outcome = HashMap::new();
    let mut paid: BTreeMap<u64, u64> = BTreeMap::new();
    for r in &records {
        match Envelope::from_json(&r.payload).expect("envelope").event {
            Event::SettlementSubmitted(s) => {
                submitted.insert(s.batch_id, s.items.len() + s.closes.len());
            }
            Event::SettlementConfirmed(c) => {
                for i in &c.paid {
                    *paid.entry(i.stream_id).or_default() += i.paid_now.get();
                }
                outcome.insert(c.batch_id, "confirmed");
            }
            Event::SettlementFailed(f) => {
                outcome.insert(f.batch_id, "failed");
            }
            _ => {}
        }
    }
    for id in submitted.keys() {
        assert!(outcome.contains_key(id), "intent {id} has no outcome");
    }
    assert_eq!(paid.len(), STREAMS);
    assert!(paid.values().all(|&v| v == 5 * RATE), "paid once in total");
    p.stop.trigger();
    let _ = p.indexer.await;
    p.devnet_stop.trigger();
}
