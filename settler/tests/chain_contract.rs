//! The chain port's contract, run against its adapter (`RestChain`, aptos-sdk's REST client)
//! on the devnet: ledger, sequence numbers, gas price, submission, confirmation with the
//! payment events, and the errors the settler relies on (rejections it must not retry,
//! outages it must).

use std::time::Duration;

use computestream_devnet::load;
use computestream_domain::{AccountAddress, Octas, PlannedRedemption, RedemptionKind};
use computestream_settler::{RestChain, SettlementChain, SettlerAccount, SettlerError, TxnTerms};
use computestream_testkit::chain::{devnet_with_jobs, identity};

async fn committed<C: SettlementChain>(chain: &C, hash: &str) -> computestream_settler::Committed {
    for _ in 0..300 {
        if let Some(c) = chain.committed(hash).await.expect("read") {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{hash} did not commit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_chain_keeps_the_ports_contract() {
    let (running, stop) = devnet_with_jobs(1, 2).await;
    let chain = RestChain::new(
        &running.rest_url(),
        identity().package,
        Duration::from_secs(5),
    )
    .expect("chain");
    contract(&chain, running, stop).await;
}

/// The contract, for any adapter of the port.
async fn contract<C: SettlementChain>(
    chain: &C,
    running: computestream_devnet::Running,
    stop: computestream_runtime::Shutdown,
) {
    let ledger = chain.ledger().await.expect("ledger");
    assert_eq!(ledger.chain_id, identity().chain_id);
    assert!(ledger.timestamp_secs > 1_700_000_000);
    let account = SettlerAccount::new(load::settler_seed(), 4, identity().package).expect("key");
    assert_eq!(
        chain.sequence_number(account.address).await.expect("seq"),
        0
    );
    assert_eq!(
        chain
            .sequence_number(AccountAddress::new([0x42; 32]))
            .await
            .expect("a never-seen account"),
        0
    );
    let price = chain.gas_unit_price().await.expect("gas price");
    assert!(price >= 100);

    let s = computestream_devnet::paying::PayingStream::for_job(identity(), 0, 1);
    let row = PlannedRedemption {
        stream_id: s.stream_id,
        kind: RedemptionKind::Settle,
        voucher: Some(s.voucher(Octas(7_000))),
        expected_payment: Octas(7_000),
    };
    let terms = TxnTerms {
        sequence_number: 0,
        max_gas_amount: 100_000,
        gas_unit_price: price,
        expiration_secs: ledger.timestamp_secs + 60,
    };
    let t = account.sign(&[row], terms).expect("sign");
    chain.submit(&t).await.expect("submit");
    let hash = t.hash().expect("hash").to_hex();
    let c = committed(chain, &hash).await;
    assert!(c.success, "{}", c.vm_status);
    assert!(c.gas_used > 0);
    assert_eq!(c.settled, vec![(1, Octas(7_000), Octas(7_000))]);
    assert_eq!(
        chain.sequence_number(account.address).await.expect("seq"),
        1
    );

    // The same transaction again: refused as too old, and nothing is paid twice.
    let again = chain
        .submit(&t)
        .await
        .expect_err("a committed sequence number");
    assert!(again.is_sequence_problem(), "{again}");
    assert!(!again.is_retryable());
    // A new transaction redeeming the same voucher commits and pays nothing.
    let t2 = account
        .sign(
            &[row],
            TxnTerms {
                sequence_number: 1,
                ..terms
            },
        )
        .expect("sign");
    chain.submit(&t2).await.expect("submit");
    let c2 = committed(chain, &t2.hash().expect("hash").to_hex()).await;
    assert_eq!(c2.settled, vec![(1, Octas(0), Octas(7_000))]);

    // Expired: refused at admission.
    let t3 = account
        .sign(
            &[row],
            TxnTerms {
                sequence_number: 2,
                expiration_secs: ledger.timestamp_secs.saturating_sub(10),
                ..terms
            },
        )
        .expect("sign");
    let expired = chain.submit(&t3).await.expect_err("expired");
    assert!(matches!(
        expired,
        computestream_settler::ChainError::Rejected { .. }
    ));

    // Unknown hashes are not committed (yet).
    let unknown = format!("0x{}", "ab".repeat(32));
    assert!(chain.committed(&unknown).await.expect("read").is_none());

    // A node that is down is retryable.
    stop.trigger();
    let _ = running.task.await;
    let down = chain.ledger().await.expect_err("node down");
    assert!(down.is_retryable(), "{down}");
    assert!(SettlerError::from(down).is_retryable());
}
