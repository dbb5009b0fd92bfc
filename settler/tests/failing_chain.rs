//! A failing chain is retried without paying twice: the node goes down mid-run and comes
//! back; the settler's account cannot pay gas (every transaction rejected) until it is
//! funded. At the end each stream is paid exactly its newest voucher.

mod support;

use std::time::Duration;

use computestream_devnet::load;
use computestream_domain::{ed25519_authentication_key, SigningKey};
use computestream_runtime::{Secret, Shutdown};
use support::{settler_config, FlakyProxy, Pipeline};

const RATE: u64 = load::PRICE_PER_SECOND;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outages_and_rejections_are_retried_without_double_payment() {
    let mut p = Pipeline::start(20).await;
    let proxy = FlakyProxy::start(p.running.addr).await;
    // A settler whose account holds nothing yet: the node rejects its transactions.
    let seed = [0x77; 32];
    let mut cfg = settler_config(&proxy.url());
    cfg.private_key = Some(Secret::new(hex::encode(seed)));
    cfg.confirm_timeout_secs = 3;
    let stop = Shutdown::new();
    let settler = p.settler(cfg, stop.clone()).await;

    p.pay_seconds(2).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        p.chain_streams().values().all(|(paid, _)| *paid == 0),
        "nothing can be paid by an account without gas money"
    );
    let address = ed25519_authentication_key(&SigningKey::from_seed(seed).public_key());
    p.running
        .devnet
        .fund(address, 10 * computestream_domain::OCTAS_PER_MOVE)
        .expect("fund the settler");
    p.wait_until(120, "2 seconds paid once funded", |_, paid, _| {
        paid == 2 * RATE
    })
    .await;

    // The node goes away while more seconds are paid, then comes back.
    proxy.set_down(true);
    p.pay_seconds(3).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(p
        .chain_streams()
        .values()
        .all(|(paid, _)| *paid == 2 * RATE));
    proxy.set_down(false);
    p.wait_until(120, "5 seconds paid after the outage", |_, paid, _| {
        paid == 5 * RATE
    })
    .await;
    // Nothing more arrives; nothing more is paid.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(p
        .chain_streams()
        .values()
        .all(|(paid, _)| *paid == 5 * RATE));
    assert!(p.escrow_conserved());
    stop.trigger();
    settler
        .task
        .await
        .expect("join")
        .expect("settler stopped cleanly");
    p.stop.trigger();
    p.devnet_stop.trigger();
}
