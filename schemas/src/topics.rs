//! The Kafka topic registry: names, keys, partitioning, retention.
//!
//! Topics are versioned by name (`.v1`): an incompatible change of a topic's contract is a
//! new topic, written alongside the old one until every consumer moved.
//!
//! Partitioning is explicit: producers compute the partition with [`partition_for`], the
//! murmur2 hash of the key that the Java client's default partitioner uses, so every client
//! (rdkafka's default would be crc32) places a key on the same partition and per-aggregate
//! order holds.

use serde::Serialize;

use crate::EventKind;

/// How long a topic keeps records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Retention {
    /// Kept forever: the log is the source of truth and replays start from offset 0.
    Forever,
    /// Kept for this many days (dead letters, which operators drain).
    Days(u32),
}

/// One topic's contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TopicSpec {
    pub name: &'static str,
    pub partitions: i32,
    /// What the record key is.
    pub key: &'static str,
    pub retention: Retention,
    pub description: &'static str,
    /// Event kinds written here (empty for the dead-letter topic, which carries raw records).
    pub carries: &'static [&'static str],
}

impl TopicSpec {
    /// `retention.ms` for the broker's topic config: -1 is forever.
    pub fn retention_ms(&self) -> i64 {
        match self.retention {
            Retention::Forever => -1,
            Retention::Days(d) => i64::from(d) * 24 * 3600 * 1000,
        }
    }
}

pub const CHAIN_EVENTS: TopicSpec = TopicSpec {
    name: "computestream.chain.v1",
    partitions: 6,
    key: "aggregate key: job:{job_id} for job, escrow and stream events; provider:{address} for provider events",
    retention: Retention::Forever,
    description: "Every ComputeStream event of every committed transaction, decoded by the indexer, in chain order per aggregate.",
    carries: &[
        "provider_registered", "provider_price_updated", "provider_availability_updated",
        "provider_staked", "provider_unstaked", "job_created", "job_status_changed",
        "escrow_deposited", "escrow_released", "escrow_refunded", "stream_opened",
        "stream_settled", "stream_closed", "voucher_rejected", "escrow_coin_moved",
        "job_evidence_committed",
    ],
};

pub const METERING: TopicSpec = TopicSpec {
    name: "computestream.metering.v1",
    partitions: 6,
    key: "job:{stream_id} for ticks and vouchers (one stream per partition, in order); provider:{address} for heartbeats",
    retention: Retention::Forever,
    description: "Provider-signed per-second metering ticks, buyer-signed cumulative vouchers, provider heartbeats.",
    carries: &["metering_tick", "voucher_received", "provider_heartbeat"],
};

pub const SETTLEMENT: TopicSpec = TopicSpec {
    name: "computestream.settlement.v1",
    partitions: 3,
    key: "batch:{batch_id}",
    retention: Retention::Forever,
    description: "Settlement intents and results: submitted, confirmed, failed.",
    carries: &[
        "settlement_submitted",
        "settlement_confirmed",
        "settlement_failed",
    ],
};

pub const DEAD_LETTER: TopicSpec = TopicSpec {
    name: "computestream.deadletter.v1",
    partitions: 1,
    key: "{source topic}/{partition}/{offset} or chain:{version}:{event_index}",
    retention: Retention::Days(30),
    description: "Records no consumer could read (unknown kind, future version, bad payload, undecodable chain event), with the raw bytes and the reason.",
    carries: &[],
};

pub const INDEXER_PROGRESS: TopicSpec = TopicSpec {
    name: "computestream.indexer.progress.v1",
    partitions: 1,
    key: "indexer",
    retention: Retention::Forever,
    description: "The indexer's checkpoints: chain id, package, next version, and the chain topic's partition ends when they were written. Written after every batch is acknowledged; read on start to resume without loss or duplicates.",
    carries: &[],
};

/// Every topic, in the order operators create them.
pub const ALL: [TopicSpec; 5] = [
    CHAIN_EVENTS,
    METERING,
    SETTLEMENT,
    DEAD_LETTER,
    INDEXER_PROGRESS,
];

/// The topic an event kind is written to.
pub fn topic_for(kind: EventKind) -> &'static TopicSpec {
    ALL.iter()
        .find(|t| t.carries.contains(&kind.as_str()))
        .unwrap_or(&DEAD_LETTER)
}

/// Kafka's murmur2 (the Java client's `Utils.murmur2`).
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let len = data.len();
    let mut h: u32 = SEED ^ (len as u32);
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let rest = chunks.remainder();
    if rest.len() >= 3 {
        h ^= u32::from(rest[2]) << 16;
    }
    if rest.len() >= 2 {
        h ^= u32::from(rest[1]) << 8;
    }
    if !rest.is_empty() {
        h ^= u32::from(rest[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// The partition of `key` among `partitions`, as Kafka's default partitioner computes it.
pub fn partition_for(key: &str, partitions: i32) -> i32 {
    let positive = murmur2(key.as_bytes()) & 0x7fff_ffff;
    positive % partitions.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_matches_kafka_vectors() {
        // From Kafka's UtilsTest.testMurmur2.
        assert_eq!(murmur2(b"21"), -973_932_308);
        assert_eq!(murmur2(b"foobar"), -790_332_482);
        assert_eq!(murmur2(b"a-little-bit-long-string"), -985_981_536);
        assert_eq!(murmur2(b"a-little-bit-longer-string"), -1_486_304_829);
        assert_eq!(
            murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"),
            -58_897_971
        );
        assert_eq!(murmur2(b"abc"), 479_470_107);
    }

    #[test]
    fn every_kind_has_exactly_one_topic() {
        for kind in EventKind::ALL {
            let homes = ALL
                .iter()
                .filter(|t| t.carries.contains(&kind.as_str()))
                .count();
            assert_eq!(
                homes,
                1,
                "{} must be carried by exactly one topic",
                kind.as_str()
            );
        }
        for t in ALL {
            for k in t.carries {
                assert!(
                    EventKind::parse(k).is_some(),
                    "{} carries unknown kind {k}",
                    t.name
                );
            }
        }
    }

    #[test]
    fn partitions_are_in_range() {
        for key in ["job:1", "provider:0x1", "", "batch:x"] {
            let p = partition_for(key, 6);
            assert!((0..6).contains(&p));
        }
    }
}
