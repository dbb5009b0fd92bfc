//! Issue 24 item 3, the settler's hold: vouchers for a stream that was never opened (any
//! provider's executor can write them to the metering topic) are held only until the
//! chain's events up to their time are read, then dropped, so they cannot fill the hold for
//! good; the real streams settle as before.

mod support;

use std::time::Duration;

use computestream_devnet::load;
use computestream_domain::{Octas, SigningKey, Voucher};
use computestream_runtime::Shutdown;
use computestream_testkit::chain::identity;
use support::{settler_config, voucher_envelope, Pipeline};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vouchers_for_streams_never_opened_are_dropped() {
    let mut p = Pipeline::start(2).await;
    let stop = Shutdown::new();
    let mut cfg = settler_config(&p.running.rest_url());
    cfg.interval_secs = 1;
    let settler = p.settler(cfg, stop.clone()).await;
    let mallory = SigningKey::from_seed([0x66; 32]);
    let s = p.streams[0].clone();
    let bogus: Vec<_> = (1..=50u64)
        .map(|i| {
            let v = Voucher {
                chain_id: identity().chain_id,
                package: identity().package,
                stream_id: 1_000_000_000 + i,
                cumulative_amount: Octas(load::PRICE_PER_SECOND),
            }
            .sign(&mallory);
            voucher_envelope(&s, v)
        })
        .collect();
    p.publish(&bogus).await;
    p.pay_seconds(2).await;

    let held = || settler.state.desk().totals().held_messages;
    let mut seen_held = false;
    for _ in 0..600 {
        seen_held |= held() > 0;
        if seen_held && held() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen_held, "the bogus vouchers were held first");
    assert_eq!(held(), 0, "and dropped once the chain's events were read");
    p.wait_until(60, "the real streams settle", |_, paid, _| {
        paid == 2 * load::PRICE_PER_SECOND
    })
    .await;
    stop.trigger();
    settler.task.await.expect("join").expect("settler");
    p.stop.trigger();
    p.devnet_stop.trigger();
}
