//! The indexing loop.

use computestream_runtime::now_ms;
use std::collections::HashSet;
use std::time::{Duration, Instant};

use computestream_domain::AccountAddress;
use computestream_eventlog::{admin, tails, EnvelopeProducer, KafkaSettings};
use computestream_nodeapi::Transaction;
use computestream_runtime::dependency::{Outage, Transition};
use computestream_runtime::{Health, Shutdown};
use computestream_schemas::{topics, Envelope};
use tracing::Instrument;

use crate::decode::{self, DeadLetter};
use crate::progress::{self, Checkpoint};
use crate::{ChainSource, IndexerConfig, IndexerError, SourceError};

/// An indexer bound to a chain source and a log.
pub struct Indexer<S> {
    pub source: S,
    pub kafka: KafkaSettings,
    pub chain_id: u8,
    pub package: AccountAddress,
    pub config: IndexerConfig,
    pub health: Health,
}

impl Indexer<crate::RestSource> {
    /// An indexer of the node at `config.node_url` over its REST API (10 s timeouts).
    pub fn over_rest(
        config: IndexerConfig,
        kafka: KafkaSettings,
        chain_id: u8,
        package: AccountAddress,
        health: Health,
    ) -> Result<Self, crate::SourceError> {
        Ok(Indexer {
            source: crate::RestSource::new(&config.node_url, std::time::Duration::from_secs(10))?,
            kafka,
            chain_id,
            package,
            config,
            health,
        })
    }
}

impl<S> std::fmt::Debug for Indexer<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Indexer")
            .field("chain_id", &self.chain_id)
            .field("package", &self.package)
            .finish()
    }
}

/// An operator's `index --from-version`: where to index from instead of the checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FromVersion {
    pub version: u64,
    /// Index from past the log's end although the versions in between were never indexed
    /// (their events would be missing from the log); refused without it.
    pub accept_gap: bool,
}

/// Where indexing starts: from the checkpoint's next version (`checkpoint_next`), from
/// `start_version` on an empty log, or from an operator's version. Re-indexing from at or
/// before where the log ends is allowed (events already in the log are skipped by id, so the
/// log keeps every chain event once); from past it is a gap, refused unless accepted.
///
/// Errors: [`IndexerError::Gap`].
pub fn start_version(
    from: Option<FromVersion>,
    checkpoint_next: Option<u64>,
    start_version: u64,
) -> Result<u64, IndexerError> {
    let next = checkpoint_next.unwrap_or(start_version);
    match from {
        None => Ok(next),
        Some(f) if f.version <= next || f.accept_gap => Ok(f.version),
        Some(f) => Err(IndexerError::Gap {
            from: f.version,
            next,
        }),
    }
}

/// Runs `indexer` until `shutdown`. `from` re-indexes from that version (operators);
/// otherwise the indexer resumes from its checkpoint.
pub async fn run<S: ChainSource>(
    indexer: Indexer<S>,
    from_version: Option<FromVersion>,
    shutdown: Shutdown,
) -> Result<(), IndexerError> {
    indexer.run(from_version, shutdown).await
}

struct Batch {
    envelopes: Vec<Envelope>,
    dead: Vec<DeadLetter>,
    next: u64,
    transactions: u64,
    last_timestamp_us: Option<u64>,
}

impl<S: ChainSource> Indexer<S> {
    pub async fn run(
        self,
        from_version: Option<FromVersion>,
        shutdown: Shutdown,
    ) -> Result<(), IndexerError> {
        self.config.validate().map_err(IndexerError::Config)?;
        admin::ensure_topics(
            &self.kafka,
            &[
                topics::CHAIN_EVENTS,
                topics::DEAD_LETTER,
                topics::INDEXER_PROGRESS,
            ],
        )
        .await?;
        let checkpoint = progress::read_last(&self.kafka).await?;
        if let Some(cp) = &checkpoint {
            if cp.chain_id != self.chain_id || cp.package != self.package {
                return Err(IndexerError::WrongLog {
                    log_chain: cp.chain_id,
                    log_package: cp.package.to_string(),
                    chain: self.chain_id,
                    package: self.package.to_string(),
                });
            }
        }
        let chain_topic = self.kafka.topic(topics::CHAIN_EVENTS.name);
        let mut next = start_version(
            from_version,
            checkpoint.as_ref().map(|cp| cp.next_version),
            self.config.start_version,
        )?;
        // The ids already in the log past what the checkpoint covers (all of them when
        // re-indexing), so no chain event is written twice.
        let mut skip: HashSet<String> = match (&checkpoint, from_version) {
            (Some(cp), None) => progress::ids_after(&self.kafka, &cp.partition_ends).await?,
            _ => progress::ids_after(&self.kafka, &[]).await?,
        };
        let mut ends: Vec<i64> =
            tails::watermarks(&self.kafka, &chain_topic, topics::CHAIN_EVENTS.partitions)
                .await?
                .into_iter()
                .map(|(_, high)| high)
                .collect();
        tracing::info!(next, already_in_log = skip.len(), "indexer starting");
        let producer = EnvelopeProducer::new(&self.kafka, "computestream-indexer")?;
        let poll = Duration::from_millis(self.config.poll_interval_ms);
        let mut backoff = poll;
        // The next batch is fetched while the current one is produced (a two-stage
        // pipeline); a prefetched batch is used only if it starts where the log ends.
        let mut prefetched: Option<Result<Option<Batch>, SourceError>> = None;
        // The node's outages, logged when they start and end (not once per retry).
        let mut outage = Outage::default();
        loop {
            if shutdown.is_triggered() {
                return Ok(());
            }
            let fetched = match prefetched.take() {
                Some(r) => r,
                None => self.step(next).await,
            };
            match fetched {
                Ok(None) => {
                    backoff = poll;
                    self.health.ok("node");
                    node_back(&mut outage);
                    tokio::select! { _ = shutdown.wait() => return Ok(()), _ = tokio::time::sleep(poll) => {} }
                }
                Ok(Some(batch)) => {
                    backoff = poll;
                    self.health.ok("node");
                    node_back(&mut outage);
                    let (from, to) = (next, batch.next - 1);
                    let commit = self
                        .commit(
                            &producer,
                            batch.envelopes.as_slice(),
                            &batch.dead,
                            &mut skip,
                            &mut ends,
                            batch.next,
                        )
                        .instrument(tracing::info_span!("batch", from, to));
                    let (committed, ahead) = tokio::join!(commit, self.step(batch.next));
                    committed?;
                    prefetched = Some(ahead);
                    metrics::counter!("computestream_indexer_transactions_total")
                        .increment(batch.transactions);
                    metrics::gauge!("computestream_indexer_version").set(to as f64);
                    if let Some(ts) = batch.last_timestamp_us {
                        metrics::gauge!("computestream_indexer_last_indexed_timestamp_seconds")
                            .set(ts as f64 / 1e6);
                    }
                    next = batch.next;
                    if !skip.is_empty()
                        && skip
                            .iter()
                            .all(|id| version_of(id).is_some_and(|v| v < next))
                    {
                        skip.clear();
                    }
                }
                Err(e) if e.is_retryable() => {
                    metrics::counter!("computestream_indexer_fetch_errors_total", "kind" => e.kind()).increment(1);
                    self.health.failing("node", e.to_string());
                    let wait = match &e {
                        SourceError::RateLimited {
                            retry_after: Some(d),
                        } => *d,
                        _ => backoff,
                    };
                    if outage.observe(Err(e.to_string()), Instant::now()).is_some() {
                        tracing::warn!(dependency = "node", error = %e, "dependency unreachable; retrying with backoff until it is back");
                    } else {
                        tracing::debug!(error = %e, wait_ms = wait.as_millis() as u64, "node read failed; retrying");
                    }
                    tokio::select! { _ = shutdown.wait() => return Ok(()), _ = tokio::time::sleep(wait) => {} }
                    backoff = (backoff * 2).min(Duration::from_millis(self.config.max_backoff_ms));
                }
                Err(e) => {
                    metrics::counter!("computestream_indexer_fetch_errors_total", "kind" => e.kind()).increment(1);
                    self.health.failing("node", e.to_string());
                    return Err(e.into());
                }
            }
        }
    }

    /// Reads what is committed from `next` on (up to `concurrency` pages fetched at once,
    /// used in version order) and decodes it. `None` when caught up.
    async fn step(&self, next: u64) -> Result<Option<Batch>, SourceError> {
        let head = self.source.head().await?;
        if head.chain_id != self.chain_id {
            return Err(SourceError::Refused(format!(
                "the node serves chain {}, configured {}",
                head.chain_id, self.chain_id
            )));
        }
        if next < head.oldest_ledger_version {
            return Err(SourceError::Pruned {
                version: next,
                oldest: head.oldest_ledger_version,
            });
        }
        metrics::gauge!("computestream_indexer_head_lag_versions")
            .set(head.ledger_version.saturating_sub(next.saturating_sub(1)) as f64);
        if next > head.ledger_version {
            return Ok(None);
        }
        let size = u64::from(self.config.page_size);
        let starts: Vec<u64> = (0..self.config.concurrency as u64)
            .map(|i| next + i * size)
            .take_while(|s| *s <= head.ledger_version)
            .collect();
        let pages = futures::future::join_all(
            starts
                .iter()
                .map(|s| self.source.page(*s, self.config.page_size)),
        )
        .await;
        let mut batch = Batch {
            envelopes: Vec::new(),
            dead: Vec::new(),
            next,
            transactions: 0,
            last_timestamp_us: None,
        };
        for (start, page) in starts.iter().zip(pages) {
            let page = match page {
                Ok(p) => p,
                // Keep the pages before a failed one; the next step retries from there.
                Err(e) if batch.transactions > 0 && e.is_retryable() => break,
                Err(e) => return Err(e),
            };
            if *start != batch.next || page.is_empty() {
                break;
            }
            for t in &page {
                batch.transactions += 1;
                if let Transaction::User(u) = t {
                    let d = decode::transaction(self.chain_id, &self.package, u)
                        .map_err(SourceError::Malformed)?;
                    batch.envelopes.extend(d.events);
                    batch.dead.extend(d.dead_letters);
                    batch.last_timestamp_us = u.timestamp.parse().ok();
                }
            }
            batch.next += page.len() as u64;
            if (page.len() as u64) < size {
                break;
            }
        }
        if let Some(ts) = batch.last_timestamp_us {
            metrics::gauge!("computestream_indexer_head_lag_seconds")
                .set(head.ledger_timestamp_us.saturating_sub(ts) as f64 / 1e6);
        }
        Ok((batch.next > next).then_some(batch))
    }

    /// Produces a batch, then its checkpoint.
    async fn commit(
        &self,
        producer: &EnvelopeProducer,
        envelopes: &[Envelope],
        dead: &[DeadLetter],
        skip: &mut HashSet<String>,
        ends: &mut [i64],
        next: u64,
    ) -> Result<(), IndexerError> {
        let fresh: Vec<&Envelope> = envelopes
            .iter()
            .filter(|e| !skip.contains(e.id.as_str()))
            .collect();
        let delivered = futures::future::join_all(fresh.iter().map(|e| producer.send(e))).await;
        for d in delivered {
            let d = d?;
            if let Some(end) = ends.get_mut(d.partition as usize) {
                *end = (*end).max(d.offset + 1);
            }
        }
        let dlq = self.kafka.topic(topics::DEAD_LETTER.name);
        for dl in dead {
            tracing::warn!(version = dl.version, index = dl.event_index, reason = %dl.reason, "event dead-lettered");
            producer.send_raw(&dlq, 0, &dl.key(), &dl.to_json()).await?;
        }
        metrics::counter!("computestream_indexer_events_total").increment(fresh.len() as u64);
        metrics::counter!("computestream_indexer_dead_letters_total").increment(dead.len() as u64);
        let cp = Checkpoint {
            chain_id: self.chain_id,
            package: self.package,
            next_version: next,
            partition_ends: ends.to_vec(),
            written_at_ms: now_ms(),
        };
        let body = serde_json::to_vec(&cp).map_err(|e| IndexerError::Checkpoint(e.to_string()))?;
        producer
            .send_raw(
                &self.kafka.topic(topics::INDEXER_PROGRESS.name),
                0,
                "indexer",
                &body,
            )
            .await?;
        Ok(())
    }
}

fn version_of(id: &str) -> Option<u64> {
    computestream_schemas::EventId::chain_position_of(id).map(|(v, _)| v)
}

/// Logs the end of a node outage, if one was running.
fn node_back(outage: &mut Outage) {
    if let Some(Transition::Up { after }) = outage.observe(Ok(()), Instant::now()) {
        tracing::warn!(
            dependency = "node",
            outage_secs = after.as_secs_f64(),
            "dependency back"
        );
    }
}

#[cfg(test)]
mod start_tests {
    use super::*;

    fn from(version: u64, accept_gap: bool) -> Option<FromVersion> {
        Some(FromVersion {
            version,
            accept_gap,
        })
    }

    #[test]
    fn resumes_from_the_checkpoint_or_the_configured_start() {
        assert_eq!(start_version(None, Some(120), 0).ok(), Some(120));
        assert_eq!(start_version(None, None, 7).ok(), Some(7));
    }

    #[test]
    fn re_indexing_at_or_before_the_log_end_is_allowed() {
        assert_eq!(start_version(from(50, false), Some(120), 0).ok(), Some(50));
        assert_eq!(
            start_version(from(120, false), Some(120), 0).ok(),
            Some(120)
        );
        assert_eq!(start_version(from(0, false), None, 0).ok(), Some(0));
    }

    #[test]
    fn a_gap_past_the_log_end_is_refused_unless_accepted() {
        assert!(matches!(
            start_version(from(121, false), Some(120), 0),
            Err(IndexerError::Gap {
                from: 121,
                next: 120
            })
        ));
        assert!(matches!(
            start_version(from(9, false), None, 3),
            Err(IndexerError::Gap { from: 9, next: 3 })
        ));
        assert_eq!(start_version(from(121, true), Some(120), 0).ok(), Some(121));
    }
}
