//! Scenario activity on the devnet, indexed into the real broker: every chain event kind
//! reaches the log exactly once, with the right key and partition; failed transactions emit
//! nothing.

mod support;

use std::collections::{BTreeSet, HashSet};

use computestream_devnet::driver::{self, StepOutcome};
use computestream_schemas::events::Origin;
use computestream_schemas::{topics, EventKind};
use support::{caught_up, chain_records, devnet, read_all, scenario};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_chain_event_kind_reaches_the_log_once_with_its_key() {
    let mut kinds = BTreeSet::new();
    for name in [
        "provider_lifecycle",
        "job_settled_in_batches_and_completed",
        "early_termination_refunds_the_buyer",
        "expired_stream_is_closable_by_anyone",
        "job_with_inactive_provider_aborts",
        "evidence_committed_with_the_outcome",
    ] {
        let (running, devnet_stop) = devnet().await;
        let s = scenario(name);
        let outcomes = driver::drive(&s, &running).await.expect("scenario");
        let kafka = computestream_testkit::kafka();
        let stop = computestream_runtime::Shutdown::new();
        let task = tokio::spawn(support::indexer(&running, &kafka).run(None, stop.clone()));
        let head = running.devnet.node().expect("node").ledger_version();
        caught_up(&kafka, head).await;
        stop.trigger();
        task.await.expect("join").expect("indexer stopped cleanly");

        let records = read_all(
            &kafka,
            topics::CHAIN_EVENTS.name,
            support::chain_partitions(),
        )
        .await;
        let envelopes = chain_records(&records);
        let ids: HashSet<String> = envelopes.iter().map(|e| e.id.as_str().to_owned()).collect();
        assert_eq!(
            ids.len(),
            envelopes.len(),
            "{name}: duplicate event ids in the log"
        );
        for (r, e) in records.iter().zip(&envelopes) {
            assert_eq!(
                r.key.as_deref(),
                Some(e.aggregate_key.as_bytes()),
                "{name}: key"
            );
            assert_eq!(
                r.partition,
                topics::partition_for(&e.aggregate_key, topics::CHAIN_EVENTS.partitions),
                "{name}: partition"
            );
            kinds.insert(e.kind());
        }
        // Every package event of every successful transaction is there, under its position.
        let pkg = support::id().package;
        let mut expected = 0;
        for o in &outcomes {
            let StepOutcome::Committed(t) = o else {
                continue;
            };
            let version: u64 = t.version.parse().expect("version");
            for (i, e) in t.events.iter().enumerate() {
                // Parsed and compared as an address (the node drops leading zeros).
                let ours = computestream_domain::StructTag::parse(&e.type_)
                    .is_ok_and(|t| t.address == pkg);
                if ours {
                    let id = format!("chain:{version}:{i}");
                    assert_eq!(
                        ids.contains(id.as_str()),
                        t.success,
                        "{name}: {id} ({}) success={}",
                        e.type_,
                        t.success
                    );
                    expected += usize::from(t.success);
                }
            }
        }
        let package_events = envelopes
            .iter()
            .filter(|e| e.kind() != EventKind::EscrowCoinMoved)
            .count();
        assert_eq!(
            package_events, expected,
            "{name}: package events in the log"
        );
        // Per partition, chain order.
        for p in 0..support::chain_partitions() {
            let versions: Vec<_> = records
                .iter()
                .zip(&envelopes)
                .filter(|(r, _)| r.partition == p)
                .map(|(_, e)| e.id.chain_position())
                .collect();
            assert!(
                versions.windows(2).all(|w| w[0] < w[1]),
                "{name}: partition {p} out of order"
            );
        }
        devnet_stop.trigger();
        running.task.await.expect("join").expect("devnet");
    }
    let chain_kinds: BTreeSet<_> = EventKind::ALL
        .iter()
        .copied()
        .filter(|k| k.origin() == Origin::Chain)
        .collect();
    assert_eq!(
        kinds,
        chain_kinds,
        "kinds never seen: {:?}",
        chain_kinds.difference(&kinds).collect::<Vec<_>>()
    );
}
