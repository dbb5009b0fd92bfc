//! `computestream settle`: reads its shard of the chain-event and metering topics from the
//! start (the state is rebuilt from the log on every start), feeds the desk, and once caught
//! up redeems what the desk plans, in as few transactions as fit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use computestream_domain::{DeskError, DeskPolicy, PlannedRedemption, VoucherContext};
use computestream_eventlog::{
    admin, tails::CatchUp, EnvelopeProducer, KafkaSettings, LogConsumer, LogRecord,
};
use computestream_runtime::{now_ms, Health, Shutdown};
use computestream_schemas::topics::{self, TopicSpec};
use tokio::sync::mpsc;

use crate::chain::SettlementChain;
use crate::close_fence::CloseFences;
use crate::facilitator::Facilitator;
use crate::intake::{decode_all, Decoded, Input};
use crate::state::SettlerState;
use crate::submitter::Submitter;
use crate::telemetry as m;
use crate::transactions::{pack, parse_seed, streams_per_transaction, SettlerAccount};
use crate::{SettlerConfig, SettlerError};

/// The topics the settler reads.
pub const INPUTS: [TopicSpec; 2] = [topics::CHAIN_EVENTS, topics::METERING];

pub struct Settler<C: SettlementChain> {
    pub chain: Arc<C>,
    pub kafka: KafkaSettings,
    pub config: SettlerConfig,
    pub shared: Arc<SettlerState>,
    pub health: Health,
}

impl<C: SettlementChain> std::fmt::Debug for Settler<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settler")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A started settler: its facilitator's address and the task running both.
#[derive(Debug)]
pub struct RunningSettler {
    pub facilitator: std::net::SocketAddr,
    pub task: tokio::task::JoinHandle<Result<(), SettlerError>>,
    /// Its desk, for inspection (tests, benchmarks).
    pub state: Arc<SettlerState>,
}

impl<C: SettlementChain> Settler<C> {
    /// A settler of the package deployment `ctx` (chain id and package address) on `chain`,
    /// with a fresh desk (its state is rebuilt from the log when it runs).
    pub fn new(
        chain: Arc<C>,
        kafka: KafkaSettings,
        config: SettlerConfig,
        ctx: VoucherContext,
        health: Health,
    ) -> Self {
        let shared = SettlerState::new(
            ctx.chain_id,
            ctx.package,
            config.held_limit,
            config.payment_ahead_secs,
        );
        Settler {
            chain,
            kafka,
            config,
            shared,
            health,
        }
    }

    /// Binds the facilitator on `config.listen` and runs the settler until `shutdown`.
    pub async fn start(self, shutdown: Shutdown) -> Result<RunningSettler, SettlerError> {
        self.health.failing("settler", "starting");
        let producer = EnvelopeProducer::new(&self.kafka, "computestream-facilitator")?;
        let facilitator = Arc::new(Facilitator::new(
            self.shared.clone(),
            producer,
            self.config.facilitator_answers,
            Duration::from_secs(self.config.facilitator_answer_ttl_secs),
        ));
        let (addr, web) = crate::facilitator::serve(
            self.config.listen,
            facilitator,
            self.config.http,
            shutdown.child(),
        )
        .await?;
        let state = self.shared.clone();
        let task = computestream_runtime::spawn_with_server(self.run(shutdown), web);
        Ok(RunningSettler {
            facilitator: addr,
            task,
            state,
        })
    }

    pub async fn run(self, shutdown: Shutdown) -> Result<(), SettlerError> {
        let cfg = &self.config;
        cfg.validate().map_err(SettlerError::Config)?;
        let seed = parse_seed(
            cfg.private_key
                .as_ref()
                .ok_or_else(|| SettlerError::Config("settler.private_key is required".into()))?
                .expose(),
        )?;
        let got = self.chain.ledger().await?.chain_id;
        if got != self.shared.chain_id {
            return Err(SettlerError::WrongChain {
                expected: self.shared.chain_id,
                got,
            });
        }
        admin::ensure_topics(
            &self.kafka,
            &[topics::CHAIN_EVENTS, topics::METERING, topics::SETTLEMENT],
        )
        .await?;
        let account = SettlerAccount::new(seed, self.shared.chain_id, self.shared.package)?;
        tracing::info!(settler = %account.address, shard = cfg.shard_index, shards = cfg.shard_count, "settler starting");

        // This shard's partitions, read from the start; "caught up" once each reaches the
        // end it had when we started.
        let (starts, mut behind) = CatchUp::from_start(&self.kafka, &INPUTS, |p| {
            p as u32 % cfg.shard_count == cfg.shard_index
        })
        .await?;
        let consumer = LogConsumer::new(&self.kafka, "computestream-settler")?;
        consumer.assign_many(&starts)?;
        let mut fences = CloseFences::new(&starts);
        let mut orphans = crate::orphan_fence::OrphanFence::new();
        let in_shard = |p: i32| p as u32 % cfg.shard_count == cfg.shard_index;
        let producer = EnvelopeProducer::new(&self.kafka, "computestream-settler")?;

        let (tx, rx) = mpsc::channel::<Vec<PlannedRedemption>>(256);
        let submitter = Submitter {
            chain: self.chain.clone(),
            account,
            producer,
            shared: self.shared.clone(),
            config: cfg.clone(),
        };
        let submit_task = tokio::spawn(submitter.run(rx, shutdown.child()));

        let policy = DeskPolicy {
            interval_ms: cfg.interval_secs * 1000,
            threshold: cfg.threshold_octas,
        };
        let per_txn = streams_per_transaction(cfg.max_transaction_bytes);
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let mut caught_up = behind.is_done();
        if caught_up {
            self.health.ok("settler");
        } else {
            self.health.failing("settler", "reading the log");
        }
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_plan = Instant::now();
        let result = loop {
            tokio::select! {
                _ = shutdown.wait() => break Ok(()),
                _ = tick.tick() => {
                    self.release_closes(&mut fences, in_shard).await;
                    self.drop_orphans(&mut orphans, &fences, in_shard).await;
                    m::desk_totals(&self.shared.desk().totals());
                    if caught_up && last_plan.elapsed() >= Duration::from_secs(1) {
                        last_plan = Instant::now();
                        plan_and_send(&self.shared, &policy, per_txn, &tx);
                    }
                }
                first = consumer.next() => {
                    let first = match first {
                        Ok(r) => r,
                        Err(e) if e.is_retryable() => {
                            // The broker probe logs the outage once.
                            tracing::debug!(error = %e, "log read failed; retrying");
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            continue;
                        }
                        Err(e) => break Err(e.into()),
                    };
                    let records = gather(&consumer, first, cfg.batch_max).await;
                    for r in &records {
                        behind.seen(r);
                        fences.seen(r);
                        orphans.seen(r);
                    }
                    let mut decoded = tokio::task::spawn_blocking(move || decode_all(&records, threads))
                        .await
                        .map_err(|e| SettlerError::Build(format!("decode task: {e}")))?;
                    fences.hold(take_closable(&mut decoded));
                    apply(&self.shared, decoded, caught_up);
                    self.release_closes(&mut fences, in_shard).await;
                    if !caught_up && behind.is_done() {
                        caught_up = true;
                        self.health.ok("settler");
                        tracing::info!(totals = ?self.shared.desk().totals(), "settler caught up with the log");
                    }
                }
            }
        };
        drop(tx);
        let _ = submit_task.await;
        result
    }
}

impl<C: SettlementChain> Settler<C> {
    /// Drops the messages held for streams that do not exist ([`crate::orphan_fence`]).
    async fn drop_orphans(
        &self,
        orphans: &mut crate::orphan_fence::OrphanFence,
        fences: &CloseFences,
        in_shard: impl Fn(i32) -> bool + Copy,
    ) {
        let held = || self.shared.desk().held_streams();
        if let Err(e) = orphans
            .take(held, &self.kafka, in_shard, fences.next_offsets())
            .await
        {
            tracing::warn!(error = %e, "cannot read the chain-events topic's ends; held messages wait");
        }
        let still_held = |id| self.shared.desk().is_held(id);
        if let Some(streams) = orphans.passed(still_held) {
            let dropped = self.shared.desk().drop_orphans(&streams);
            if dropped > 0 {
                m::orphans_dropped(dropped);
                tracing::warn!(
                    dropped,
                    streams = streams.len(),
                    "dropped messages held for streams that were never opened"
                );
            }
        }
    }

    /// Takes the pending close fences and lets the desk close the streams past theirs.
    async fn release_closes(
        &self,
        fences: &mut CloseFences,
        in_shard: impl Fn(i32) -> bool + Copy,
    ) {
        if let Err(e) = fences.take(&self.kafka, in_shard).await {
            tracing::warn!(error = %e, held = fences.held(), "cannot read the metering topic's ends; closes wait");
        }
        let released = fences.released();
        if !released.is_empty() {
            let mut desk = self.shared.desk();
            for stream_id in released {
                tracing::debug!(stream_id, state = ?desk.stream_state(stream_id), "job ended and its vouchers are read: closable");
                desk.closable(stream_id);
            }
        }
    }
}

/// Moves the "job ended" inputs out of `decoded`: they wait for their close fence.
fn take_closable(decoded: &mut Vec<Decoded>) -> Vec<u64> {
    let mut out = Vec::new();
    decoded.retain(|d| match d.input {
        Input::Closable(stream_id) => {
            out.push(stream_id);
            false
        }
        _ => true,
    });
    out
}

/// The first record and whatever else arrives within a few milliseconds, up to `max`.
async fn gather(consumer: &LogConsumer, first: LogRecord, max: usize) -> Vec<LogRecord> {
    let mut records = vec![first];
    let deadline = tokio::time::Instant::now() + Duration::from_millis(20);
    while records.len() < max {
        match tokio::time::timeout_at(deadline, consumer.next()).await {
            Ok(Ok(r)) => records.push(r),
            _ => break,
        }
    }
    records
}

/// Feeds decoded records to the desk, in log order.
pub fn apply(shared: &SettlerState, decoded: Vec<Decoded>, live: bool) {
    let mut desk = shared.desk();
    for Decoded { at_ms, input } in decoded {
        match input {
            Input::Opened(terms) => {
                for e in desk.open(terms, at_ms) {
                    m::rejected(&e);
                }
            }
            Input::Deposited { stream_id, total } => desk.deposited(stream_id, total),
            Input::Closable(stream_id) => desk.closable(stream_id),
            Input::Settled {
                stream_id,
                paid_total,
            } => {
                if let Some(since) = desk.settled(stream_id, paid_total, at_ms) {
                    if live {
                        m::settlement_lag(at_ms.saturating_sub(since));
                    }
                }
            }
            Input::Closed {
                stream_id,
                paid_total,
            } => desk.closed(stream_id, paid_total),
            Input::Voucher(v) => match v
                .map_err(DeskError::from)
                .and_then(|v| desk.offer_voucher(v, at_ms))
            {
                Ok(o) => m::offered("voucher", o),
                Err(e) => m::rejected(&e),
            },
            Input::Record(r) => {
                let stream_id = r.as_ref().ok().map(|c| c.get().record.stream_id);
                match r
                    .map_err(DeskError::from)
                    .and_then(|r| desk.attest(r, at_ms))
                {
                    Ok(o) => m::offered("metering", o),
                    Err(e) => {
                        m::rejected(&e);
                        // A refused record stops the stream's attested seconds (its chain
                        // cannot be extended past it), so it is settled only up to them:
                        // never silent.
                        if let (Some(stream_id), DeskError::Metering(why)) = (stream_id, &e) {
                            if shared.first_refusal(stream_id) {
                                tracing::warn!(
                                    stream_id,
                                    error = %why,
                                    "a metering record was refused: the stream is settled only up to the seconds attested before it"
                                );
                            }
                        }
                    }
                }
            }
            Input::Other => {}
            Input::Undecodable(reason) => {
                tracing::warn!(%reason, "undecodable record skipped (the projector dead-letters it)");
                m::undecodable();
            }
        }
    }
}

/// Plans what is due and hands it to the submitter, one transaction's worth at a time.
pub fn plan_and_send(
    shared: &SettlerState,
    policy: &DeskPolicy,
    per_txn: usize,
    tx: &mpsc::Sender<Vec<PlannedRedemption>>,
) -> usize {
    let plan = {
        let mut desk = shared.desk();
        let plan = desk.plan(now_ms(), policy);
        desk.submitted(&plan);
        plan
    };
    let n = plan.len();
    for items in pack(plan, per_txn) {
        if let Err(e) = tx.try_send(items) {
            let items = match e {
                mpsc::error::TrySendError::Full(i) | mpsc::error::TrySendError::Closed(i) => i,
            };
            shared.desk().abandoned(&items);
        }
    }
    n
}
