//! `index --from-version` against the devnet and the real broker: re-indexing from version
//! 0 after the log is complete writes no chain event twice (events already in the log are
//! skipped by id); a version past the log's end is refused as a gap, and writes nothing.

mod support;

use std::collections::HashSet;

use computestream_devnet::driver;
use computestream_indexer::{FromVersion, IndexerError};
use computestream_runtime::Shutdown;
use computestream_schemas::topics;
use support::{caught_up, chain_records, devnet, read_all, scenario};

async fn chain_ids(kafka: &computestream_eventlog::KafkaSettings) -> (usize, HashSet<String>) {
    let records = read_all(
        kafka,
        topics::CHAIN_EVENTS.name,
        support::chain_partitions(),
    )
    .await;
    let envelopes = chain_records(&records);
    let ids = envelopes.iter().map(|e| e.id.as_str().to_owned()).collect();
    (envelopes.len(), ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_indexing_writes_nothing_twice_and_a_gap_is_refused() {
    let (running, devnet_stop) = devnet().await;
    driver::drive(&scenario("job_settled_in_batches_and_completed"), &running)
        .await
        .expect("scenario");
    let kafka = computestream_testkit::kafka();
    let head = running.devnet.node().expect("node").ledger_version();

    let stop = Shutdown::new();
    let task = tokio::spawn(support::indexer(&running, &kafka).run(None, stop.clone()));
    caught_up(&kafka, head).await;
    stop.trigger();
    task.await.expect("join").expect("indexer stopped");
    let (n, ids) = chain_ids(&kafka).await;
    assert!(n > 0 && n == ids.len());

    // From version 0 again: every event is already in the log.
    let stop = Shutdown::new();
    let from = Some(FromVersion {
        version: 0,
        accept_gap: false,
    });
    let task = tokio::spawn(support::indexer(&running, &kafka).run(from, stop.clone()));
    caught_up(&kafka, head).await;
    stop.trigger();
    task.await.expect("join").expect("indexer stopped");
    let (again, again_ids) = chain_ids(&kafka).await;
    assert_eq!(again, n, "re-indexing wrote chain events twice");
    assert_eq!(again_ids, ids);

    // Past the log's end: a gap, refused before anything is written.
    let from = Some(FromVersion {
        version: head + 1_000,
        accept_gap: false,
    });
    let refused = support::indexer(&running, &kafka)
        .run(from, Shutdown::new())
        .await;
    assert!(
        matches!(refused, Err(IndexerError::Gap { .. })),
        "{refused:?}"
    );
    assert!(refused
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
        .contains("--accept-gap"));
    assert_eq!(chain_ids(&kafka).await.0, n);
    devnet_stop.trigger();
}
