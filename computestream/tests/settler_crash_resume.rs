//! Kill -9 the `computestream settle` process at random moments, many times (before, during
//! and after its submissions), while 200 streams keep paying per second through the log;
//! then let it finish: per stream the chain has paid exactly the newest voucher, never more
//! than the escrow, every stream closes when its job ends, and escrow is conserved.

use computestream_runtime::now_ms;
use std::process::Child;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use computestream_devnet::load;
use computestream_devnet::paying::PayingStream;
use computestream_eventlog::{EnvelopeProducer, KafkaSettings};
use computestream_runtime::Shutdown;
use computestream_schemas::events::{MeteringTick, VoucherReceived};
use computestream_schemas::{topics, Envelope};
use computestream_testkit::chain::{cancel_jobs, devnet_with_jobs, identity};

const STREAMS: usize = 200;
const PROVIDERS: usize = 10;
const RATE: u64 = load::PRICE_PER_SECOND;

fn spawn_settler(node_url: &str, kafka: &KafkaSettings) -> Child {
    computestream_testkit::service_command(env!("CARGO_BIN_EXE_computestream"), "settle", kafka)
        .env("COMPUTESTREAM_SETTLER__NODE_URL", node_url)
        .env(
            "COMPUTESTREAM_SETTLER__PRIVATE_KEY",
            hex::encode(load::settler_seed()),
        )
        .env("COMPUTESTREAM_SETTLER__INTERVAL_SECS", "1")
        .env("COMPUTESTREAM_SETTLER__CONFIRM_TIMEOUT_SECS", "5")
        .env("COMPUTESTREAM_SETTLER__LISTEN", "127.0.0.1:0")
        .spawn()
        .expect("spawn computestream settle")
}

async fn pay_second(producer: &EnvelopeProducer, streams: &mut [PayingStream]) {
    let mut envs = Vec::new();
    for s in streams.iter_mut() {
        let (record, voucher) = s.tick(now_ms());
        envs.push(Envelope::metering_tick(MeteringTick { record }));
        envs.push(Envelope::voucher(
            s.provider_address(),
            now_ms(),
            VoucherReceived {
                voucher,
                second: s.second,
                commitment_id: voucher.voucher.commitment_id(),
            },
        ));
    }
    for r in futures::future::join_all(envs.iter().map(|e| producer.send(e))).await {
        r.expect("produce");
    }
}

fn paid(running: &computestream_devnet::Running) -> Vec<(u64, u64, bool)> {
    let node = running.devnet.node().expect("node");
    node.state
        .streams
        .iter()
        .map(|(id, s)| (*id, s.paid, s.open))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_never_pays_twice_or_loses_a_payment() {
    let (running, devnet_stop) = devnet_with_jobs(PROVIDERS, STREAMS).await;
    let kafka = computestream_testkit::kafka();
    computestream_eventlog::admin::ensure_topics(&kafka, &topics::ALL)
        .await
        .expect("topics");
    let stop = Shutdown::new();
    let indexer = tokio::spawn(
        computestream_testkit::chain::indexer(&running, &kafka).run(None, stop.child()),
    );
    let producer = EnvelopeProducer::new(&kafka, "crash-test").expect("producer");
    let mut streams: Vec<PayingStream> = (0..STREAMS)
        .map(|i| PayingStream::for_job(identity(), i, PROVIDERS))
        .collect();
    let node_url = running.rest_url();

    let mut x = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64;
    println!("random seed {x}");
    let mut kills = 0;
    while kills < 12 {
        let mut child = spawn_settler(&node_url, &kafka);
        pay_second(&producer, &mut streams).await;
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        tokio::time::sleep(Duration::from_millis(300 + (x >> 33) % 2_500)).await;
        child.kill().expect("kill -9");
        let _ = child.wait();
        kills += 1;
    }
    let seconds = streams[0].second;
    let partial: u64 = paid(&running).iter().map(|(_, p, _)| p).sum();

    // The last run finishes the job.
    let mut child = spawn_settler(&node_url, &kafka);
    let mut done = false;
    for _ in 0..1_800 {
        if paid(&running).iter().all(|(_, p, _)| *p == seconds * RATE) {
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        done,
        "not every stream was paid its newest voucher: {:?}",
        &paid(&running)[..5]
    );
    cancel_jobs(&running, PROVIDERS, 0..STREAMS).await;
    let mut closed = false;
    for _ in 0..1_800 {
        if paid(&running).iter().all(|(_, _, open)| !open) {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(closed, "not every stream was closed");
    let end = paid(&running);
    assert!(
        end.iter().all(|(_, p, _)| *p == seconds * RATE),
        "paid exactly the newest voucher"
    );
    let (conserved, released) = {
        let node = running.devnet.node().expect("node");
        (
            node.state.escrows.values().all(|e| e.is_conserved()),
            node.state.escrows.values().map(|e| e.released).sum::<u64>(),
        )
    };
    assert!(conserved, "escrow conservation");
    assert_eq!(released, STREAMS as u64 * seconds * RATE, "released once");
    println!(
        "kills: {kills}, streams: {STREAMS}, seconds: {seconds}, paid before the last run: {partial}, paid in total: {released} octas"
    );
    stop.trigger();
    let _ = indexer.await;
    devnet_stop.trigger();
}
