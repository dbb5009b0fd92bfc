//! `computestream project`: consumes the chain, metering and settlement topics and keeps
//! the read models, exactly once: each partition's batch and its next offset commit in one
//! Postgres transaction; records below the stored offset are skipped; a gap (the stored
//! offset is behind what the consumer delivers, as after a replay swapped the schema)
//! re-reads from the stored offset.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use computestream_eventlog::{admin, EnvelopeProducer, KafkaSettings, LogConsumer, LogRecord};
use computestream_runtime::{Health, Shutdown};
use computestream_schemas::topics::{self, TopicSpec};
use computestream_schemas::Envelope;
use serde::Deserialize;
use sqlx::PgPool;

use crate::apply::apply;
use crate::rollups::{RollupKeeper, Touched};
use crate::{store, OffsetStore, StoreError};

/// The topics the projector reads.
pub const INPUTS: [TopicSpec; 3] = [topics::CHAIN_EVENTS, topics::METERING, topics::SETTLEMENT];

/// `[projector]` configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectorConfig {
    /// Most records handled per poll (all partitions together).
    #[serde(default = "default_batch")]
    pub batch_max: usize,
    /// How long a poll waits to fill a batch, milliseconds.
    #[serde(default = "default_linger")]
    pub linger_ms: u64,
    /// Daily partitions created ahead of today.
    #[serde(default = "default_days_ahead")]
    pub partition_days_ahead: i64,
    /// The Postgres schema of the read models.
    #[serde(default = "default_schema")]
    pub schema: String,
    /// Write ticks and vouchers with binary `COPY ... FROM STDIN`, the fast path (default
    /// `true`). `false` writes them with `INSERT ... FROM UNNEST` only, for a backend that
    /// cannot take `COPY` from a client (PGlite, which runs the TimescaleDB tests); where the
    /// projector keeps the rollups, each batch's minutes are then recomputed, not added to.
    #[serde(default = "default_copy")]
    pub copy: bool,
    /// Connections of the pool `replay` builds the fresh schema with (default 4; 1 for a
    /// backend that serves one client at a time, such as PGlite).
    #[serde(default = "default_replay_connections")]
    pub replay_connections: u32,
}

fn default_batch() -> usize {
    20_000
}

fn default_linger() -> u64 {
    50
}

fn default_days_ahead() -> i64 {
    7
}

fn default_replay_connections() -> u32 {
    4
}

fn default_copy() -> bool {
    true
}

fn default_schema() -> String {
    store::LIVE_SCHEMA.to_owned()
}

impl Default for ProjectorConfig {
    fn default() -> Self {
        ProjectorConfig {
            batch_max: default_batch(),
            linger_ms: default_linger(),
            partition_days_ahead: default_days_ahead(),
            schema: default_schema(),
            copy: default_copy(),
            replay_connections: default_replay_connections(),
        }
    }
}

impl ProjectorConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.batch_max == 0 {
            return Err("projector.batch_max must be at least 1".into());
        }
        if self.replay_connections == 0 {
            return Err("projector.replay_connections must be at least 1".into());
        }
        store::check_schema_name(&self.schema).map_err(|e| e.to_string())
    }
}

/// The consumer name under which offsets are stored.
pub const CONSUMER: &str = "projector";

pub struct Projector {
    pub pool: PgPool,
    pub kafka: KafkaSettings,
    pub config: ProjectorConfig,
    pub health: Health,
}

impl std::fmt::Debug for Projector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Projector")
            .field("schema", &self.config.schema)
            .finish()
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Decodes records on two threads, keeping their order.
fn decode_parallel(
    records: Vec<LogRecord>,
) -> Result<Group, computestream_eventlog::EventLogError> {
    let decode = |r: LogRecord| {
        let d = Envelope::from_json(&r.payload).map_err(|e| e.to_string());
        (r, d)
    };
    if records.len() < 2_000 {
        return Ok(records.into_iter().map(decode).collect());
    }
    let mut first = records;
    let second = first.split_off(first.len() / 2);
    std::thread::scope(|scope| {
        let other = scope.spawn(move || second.into_iter().map(decode).collect::<Vec<_>>());
        let mut out: Vec<_> = first.into_iter().map(decode).collect();
        // A panic while decoding is a bug: stop rather than lose the records.
        let rest = other.join().map_err(|_| {
            computestream_eventlog::EventLogError::Setup("decoder thread panicked".into())
        })?;
        out.extend(rest);
        Ok(out)
    })
}

/// One partition's records of a poll, in offset order, each decoded (or why not).
type Group = Vec<(LogRecord, Result<Envelope, String>)>;

/// One poll: the groups by (topic, partition).
type Poll = BTreeMap<(String, i32), Group>;

/// The reading-and-decoding task and its output.
struct Reader {
    polls: tokio::sync::mpsc::Receiver<Poll>,
    task: tokio::task::JoinHandle<Result<(), computestream_eventlog::EventLogError>>,
}

impl Reader {
    fn abort(&self) {
        self.task.abort();
    }

    /// The reader stopped on its own: its error, if any.
    async fn finish(self) -> Result<(), StoreError> {
        match self.task.await {
            Ok(r) => r.map_err(StoreError::from),
            Err(e) => Err(StoreError::Verify(format!("reader task: {e}"))),
        }
    }
}

enum GroupOutcome {
    Applied,
    /// The stored offset is behind the records delivered: re-read from the stored offsets.
    Rewind,
}

impl Projector {
    /// The stored next offsets of every input partition.
    pub async fn stored_offsets(&self) -> Result<BTreeMap<(String, i32), i64>, StoreError> {
        let store = OffsetStore::new(CONSUMER);
        let mut out = BTreeMap::new();
        for spec in INPUTS {
            let topic = self.kafka.topic(spec.name);
            for (p, o) in store.load(&self.pool, &topic).await? {
                out.insert((topic.clone(), p), o);
            }
        }
        Ok(out)
    }

    async fn assign(&self, consumer: &LogConsumer) -> Result<(), StoreError> {
        let stored = self.stored_offsets().await?;
        let mut starts = Vec::new();
        for spec in INPUTS {
            let topic = self.kafka.topic(spec.name);
            for p in 0..spec.partitions {
                let offset = stored.get(&(topic.clone(), p)).copied().unwrap_or(0);
                starts.push((topic.clone(), p, offset));
            }
        }
        consumer.assign_many(&starts)?;
        Ok(())
    }

    /// Runs until `shutdown`, or until `until` says the stored offsets are far enough
    /// (replay). Reading and decoding run in their own task, one poll ahead of the writes.
    pub async fn run(
        &self,
        shutdown: Shutdown,
        until: Option<BTreeMap<(String, i32), i64>>,
    ) -> Result<(), StoreError> {
        admin::ensure_topics(&self.kafka, &INPUTS).await?;
        admin::ensure_topics(&self.kafka, &[topics::DEAD_LETTER]).await?;
        store::ensure_partitions(&self.pool, now_secs(), 1, self.config.partition_days_ahead)
            .await?;
        let mut partitions_checked = Instant::now();
        let rollups = RollupKeeper::of_schema(&self.pool).await?;
        tracing::info!(?rollups, copy = self.config.copy, "projector writing");
        let producer = EnvelopeProducer::new(&self.kafka, "computestream-projector")?;
        let mut reader = self.spawn_reader().await?;
        self.health.ok("postgres");
        loop {
            if let Some(target) = &until {
                if self.reached(target).await? {
                    reader.abort();
                    return Ok(());
                }
            }
            let poll = tokio::select! {
                _ = shutdown.wait() => {
                    reader.abort();
                    return Ok(());
                }
                p = tokio::time::timeout(Duration::from_millis(500), reader.polls.recv()) => match p {
                    Err(_) => continue,
                    Ok(None) => return reader.finish().await,
                    Ok(Some(p)) => p,
                },
            };
            // Fast path: the whole poll (every partition's records, each in log order) in
            // one transaction with all their offsets. On a poison event or a rewind, fall
            // back to one transaction per partition.
            let mut rewind = false;
            if self.apply_all(&poll, rollups).await? {
                // Freeing tens of thousands of records is not the writer's job.
                tokio::task::spawn_blocking(move || drop(poll));
            } else {
                for ((topic, partition), group) in poll {
                    match self
                        .apply_group(&producer, &topic, partition, group, rollups)
                        .await?
                    {
                        GroupOutcome::Applied => {}
                        GroupOutcome::Rewind => rewind = true,
                    }
                }
            }
            if rewind {
                tracing::info!(
                    "stored offsets moved under the consumer (schema swap?); re-reading from them"
                );
                reader.abort();
                reader = self.spawn_reader().await?;
            }
            if partitions_checked.elapsed() > Duration::from_secs(3600) {
                store::ensure_partitions(
                    &self.pool,
                    now_secs(),
                    1,
                    self.config.partition_days_ahead,
                )
                .await?;
                partitions_checked = Instant::now();
            }
        }
    }

    /// Starts the reader at the stored offsets.
    async fn spawn_reader(&self) -> Result<Reader, StoreError> {
        let consumer = LogConsumer::new(&self.kafka, "computestream-projector")?;
        self.assign(&consumer).await?;
        let (tx, polls) = tokio::sync::mpsc::channel::<Poll>(2);
        let batch_max = self.config.batch_max;
        let linger = Duration::from_millis(self.config.linger_ms);
        let task = tokio::spawn(async move {
            loop {
                let first = consumer.next().await?;
                let mut records = vec![first];
                let deadline = Instant::now() + linger;
                while records.len() < batch_max {
                    let left = deadline.saturating_duration_since(Instant::now());
                    match tokio::time::timeout(left, consumer.next()).await {
                        Ok(r) => records.push(r?),
                        Err(_) => break,
                    }
                }
                // JSON decoding is the reader's main cost: split it over two threads.
                let decoded = tokio::task::spawn_blocking(move || decode_parallel(records))
                    .await
                    .map_err(|e| {
                        computestream_eventlog::EventLogError::Setup(format!("decoder: {e}"))
                    })??;
                // A poll spans a handful of partitions: find each record's group without
                // allocating a key per record.
                let mut groups: Vec<((String, i32), Group)> = Vec::new();
                for (r, d) in decoded {
                    match groups
                        .iter_mut()
                        .find(|((t, p), _)| *p == r.partition && *t == r.topic)
                    {
                        Some((_, g)) => g.push((r, d)),
                        None => groups.push(((r.topic.clone(), r.partition), vec![(r, d)])),
                    }
                }
                let poll: Poll = groups.into_iter().collect();
                if tx.send(poll).await.is_err() {
                    return Ok(());
                }
            }
        });
        Ok(Reader { polls, task })
    }

    async fn reached(&self, target: &BTreeMap<(String, i32), i64>) -> Result<bool, StoreError> {
        let stored = self.stored_offsets().await?;
        Ok(target
            .iter()
            .all(|(k, want)| *want == 0 || stored.get(k).is_some_and(|have| have >= want)))
    }

    /// Applies every group in one transaction. `Ok(false)`: nothing was written; use the
    /// per-partition path (a gap to rewind, a record that is not an envelope, or an event
    /// the read models refuse).
    async fn apply_all(&self, groups: &Poll, rollups: RollupKeeper) -> Result<bool, StoreError> {
        let store = OffsetStore::new(CONSUMER);
        let mut tx = self.begin().await?;
        let mut envelopes = Vec::new();
        let mut ends = Vec::new();
        let keys: Vec<(String, i32)> = groups.keys().cloned().collect();
        let locked = store.lock_many(&mut tx, &keys).await?;
        for ((topic, partition), recs) in groups {
            let stored = locked
                .get(&(topic.clone(), *partition))
                .copied()
                .unwrap_or(0);
            let Some(first) = recs.first().map(|(r, _)| r.offset) else {
                continue;
            };
            if first > stored && !self.partition_starts_at(topic, *partition, first).await? {
                tx.rollback().await?;
                return Ok(false);
            }
            let mut last = None;
            for (r, decoded) in recs.iter().filter(|(r, _)| r.offset >= stored) {
                match decoded {
                    Ok(e) => envelopes.push(e),
                    Err(_) => {
                        tx.rollback().await?;
                        return Ok(false);
                    }
                }
                last = Some(r.offset);
            }
            if let Some(last) = last {
                ends.push((topic.clone(), *partition, last + 1));
            }
        }
        let decoded = Instant::now();
        let touched = match apply(&mut tx, &envelopes, self.config.copy).await {
            Ok(t) => t,
            Err(e) if e.is_retryable() => return Err(e),
            Err(_) => {
                tx.rollback().await?;
                return Ok(false);
            }
        };
        let applied = Instant::now();
        rollups.refresh(&mut tx, &touched).await?;
        let rolled = Instant::now();
        store.save_many(&mut tx, &ends).await?;
        tx.commit().await?;
        tracing::debug!(
            events = envelopes.len(),
            apply_ms = (applied - decoded).as_millis() as u64,
            rollup_ms = (rolled - applied).as_millis() as u64,
            commit_ms = rolled.elapsed().as_millis() as u64,
            "batch applied"
        );
        applied_metrics(envelopes.iter().copied());
        Ok(true)
    }

    async fn apply_group(
        &self,
        producer: &EnvelopeProducer,
        topic: &str,
        partition: i32,
        group: Group,
        rollups: RollupKeeper,
    ) -> Result<GroupOutcome, StoreError> {
        let store = OffsetStore::new(CONSUMER);
        let mut tx = self.begin().await?;
        let stored = store.lock(&mut tx, topic, partition).await?.unwrap_or(0);
        let Some(first) = group.first().map(|(r, _)| r.offset) else {
            return Ok(GroupOutcome::Applied);
        };
        if first > stored && !self.partition_starts_at(topic, partition, first).await? {
            tx.rollback().await?;
            return Ok(GroupOutcome::Rewind);
        }
        let fresh: Vec<&(LogRecord, Result<Envelope, String>)> =
            group.iter().filter(|(r, _)| r.offset >= stored).collect();
        let Some(last) = fresh.last().map(|(r, _)| r.offset) else {
            tx.rollback().await?;
            return Ok(GroupOutcome::Applied);
        };
        let mut envelopes = Vec::with_capacity(fresh.len());
        let mut sources = Vec::with_capacity(fresh.len());
        for (r, decoded) in &fresh {
            match decoded {
                Ok(e) => {
                    envelopes.push(e);
                    sources.push(r);
                }
                Err(e) => self.dead_letter(producer, r, e).await?,
            }
        }
        let touched = match apply(&mut tx, &envelopes, self.config.copy).await {
            Ok(t) => t,
            Err(e) if e.is_retryable() => return Err(e),
            Err(e) => {
                // A poison event must not block the partition: apply one by one, dead-letter
                // what fails.
                tracing::warn!(error = %e, topic, partition, "batch failed; applying one by one");
                tx.rollback().await?;
                tx = self.begin().await?;
                store.lock(&mut tx, topic, partition).await?;
                let mut touched = Touched::default();
                for (env, r) in envelopes.iter().zip(&sources) {
                    let mut sp = sqlx::Acquire::begin(&mut *tx).await?;
                    match apply(&mut sp, std::slice::from_ref(env), self.config.copy).await {
                        Ok(t) => {
                            sp.commit().await?;
                            touched.merge(t);
                        }
                        Err(e) if e.is_retryable() => return Err(e),
                        Err(e) => {
                            sp.rollback().await?;
                            self.dead_letter(producer, r, &e.to_string()).await?;
                        }
                    }
                }
                touched
            }
        };
        rollups.refresh(&mut tx, &touched).await?;
        store.save(&mut tx, topic, partition, last + 1).await?;
        tx.commit().await?;
        applied_metrics(envelopes.iter().copied());
        Ok(GroupOutcome::Applied)
    }

    /// A transaction that does not wait for its commit record to reach disk
    /// (`synchronous_commit = off`). Safe here, and only here: rows and offsets commit
    /// together, so a database crash can lose only a suffix of whole batches, rows and
    /// offsets alike, and the projector reads those records again from the offsets that
    /// survived. Exactly once holds; the flush per batch is saved.
    async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET LOCAL synchronous_commit TO OFF")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// Whether `offset` is the first offset the partition still has (retention may have
    /// removed older records; then starting there is not a gap).
    async fn partition_starts_at(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
    ) -> Result<bool, StoreError> {
        let spec_partitions = INPUTS
            .iter()
            .find(|s| self.kafka.topic(s.name) == topic)
            .map(|s| s.partitions)
            .unwrap_or(1);
        let marks =
            computestream_eventlog::tails::watermarks(&self.kafka, topic, spec_partitions).await?;
        Ok(marks
            .get(partition as usize)
            .is_some_and(|(low, _)| *low >= offset))
    }

    async fn dead_letter(
        &self,
        producer: &EnvelopeProducer,
        r: &LogRecord,
        reason: &str,
    ) -> Result<(), StoreError> {
        tracing::warn!(topic = %r.topic, partition = r.partition, offset = r.offset, reason, "record dead-lettered");
        metrics::counter!("computestream_projector_dead_letters_total").increment(1);
        let body = serde_json::json!({
            "source": "projector", "topic": r.topic, "partition": r.partition, "offset": r.offset,
            "reason": reason, "raw": String::from_utf8_lossy(&r.payload),
        });
        let key = format!("{}/{}/{}", r.topic, r.partition, r.offset);
        producer
            .send_raw(
                &self.kafka.topic(topics::DEAD_LETTER.name),
                0,
                &key,
                body.to_string().as_bytes(),
            )
            .await?;
        Ok(())
    }
}

/// `computestream_projector_events_total` and `computestream_projector_lag_seconds` (how far
/// the read models trail the newest event just committed, by its occurred-at time).
fn applied_metrics<'a>(envelopes: impl Iterator<Item = &'a Envelope>) {
    let (mut n, mut newest) = (0u64, None);
    for e in envelopes {
        n += 1;
        newest = newest.max(Some(e.occurred_at_ms));
    }
    metrics::counter!("computestream_projector_events_total").increment(n);
    if let Some(newest) = newest {
        let lag_ms = computestream_runtime::now_ms().saturating_sub(newest);
        metrics::gauge!("computestream_projector_lag_seconds").set(lag_ms as f64 / 1000.0);
    }
}
