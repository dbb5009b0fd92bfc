//! One job, from start (or re-adoption after a restart) to its outcome on chain: the
//! sandboxed container, a signed metering record every second, the stop rules (max
//! duration, vouchers that stopped, the buyer's cancellation), outputs stored
//! content-addressed, and the final status report.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use computestream_domain::{
    JobStatus, MeteringChain, MeteringRecord, RecordHash, SigningKey, VoucherContext,
    METERING_GENESIS_HASH,
};
use computestream_eventlog::{job_log, EnvelopeProducer, KafkaSettings};
use computestream_runtime::Shutdown;
use computestream_schemas::events::MeteringTick;
use computestream_schemas::{Envelope, Event};

use crate::artifacts::ArtifactStore;
use crate::chain::{Evidence, JobChain, Outcome};
use crate::container::{ContainerError, ContainerRuntime, Exit};
use crate::payment_judge::PaymentJudge;
use crate::sandbox::{container_spec, JobRequest};
use crate::state::ExecutorState;
use crate::ExecutorConfig;
use computestream_runtime::now_ms;

/// Where the job's metering chain stands (restored from the log after a restart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeteringHead {
    pub second: u64,
    pub hash: RecordHash,
}

fn evidence_of(head: &MeteringHead) -> Evidence {
    Evidence {
        metering_head: head.hash,
        metered_seconds: head.second,
    }
}

impl Default for MeteringHead {
    fn default() -> Self {
        MeteringHead {
            second: 0,
            hash: METERING_GENESIS_HASH,
        }
    }
}

/// Everything a job's task needs.
pub struct JobContext<R: ContainerRuntime, C: JobChain> {
    pub runtime: Arc<R>,
    pub chain: Arc<C>,
    pub producer: Arc<EnvelopeProducer>,
    pub artifacts: ArtifactStore,
    pub shared: Arc<ExecutorState>,
    pub config: ExecutorConfig,
    pub key: SigningKey,
    pub ctx: VoucherContext,
    /// The log, read back when it is unsure whether metering records were stored.
    pub kafka: KafkaSettings,
}

impl<R: ContainerRuntime, C: JobChain> std::fmt::Debug for JobContext<R, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobContext").finish_non_exhaustive()
    }
}

impl<R: ContainerRuntime, C: JobChain> Clone for JobContext<R, C> {
    fn clone(&self) -> Self {
        JobContext {
            runtime: self.runtime.clone(),
            chain: self.chain.clone(),
            producer: self.producer.clone(),
            artifacts: self.artifacts.clone(),
            shared: self.shared.clone(),
            config: self.config.clone(),
            key: self.key.clone(),
            ctx: self.ctx,
            kafka: self.kafka.clone(),
        }
    }
}

/// How a job is taken up.
#[derive(Debug, Clone)]
pub enum Start {
    /// Not started yet: mark it running on chain, then start its container.
    Fresh,
    /// Its container exists (the executor restarted): supervise it from `head`.
    Adopt {
        container: String,
        head: MeteringHead,
        /// Created by an earlier run that stopped before starting it: start it now (its
        /// first and only start).
        never_started: bool,
    },
}

enum Stop {
    Exited(Exit),
    MaxDuration,
    Unpaid {
        paid: u64,
        served: u64,
    },
    /// Its `/out` passed the output quota while it ran.
    OutputQuota(String),
    Cancelled,
    Shutdown,
}

/// How a job's process killed by `SIGXFSZ` (a write past `RLIMIT_FSIZE`, the output quota)
/// exits under the container's init: 128 + 25.
const SIGXFSZ_EXIT: i64 = 128 + 25;

fn output_dir(config: &ExecutorConfig, job_id: u64) -> PathBuf {
    config.work_dir.join(job_id.to_string()).join("out")
}

impl<R: ContainerRuntime, C: JobChain> JobContext<R, C> {
    /// Reports an outcome, retrying while the node is unavailable.
    async fn report(&self, o: Outcome) {
        self.shared.end_payments(o.job_id).await;
        for attempt in 1..=5u32 {
            match self.chain.report(&o).await {
                Ok(true) => {
                    self.shared.set_status(o.job_id, o.status, &o.reason);
                    return;
                }
                Ok(false) => {
                    // Refused: most likely cancelled by its buyer while it ended (the log's
                    // cancellation not read yet). A cancelled job's evidence is committed on
                    // its own; the chain refuses it harmlessly for any other job.
                    tracing::warn!(
                        job_id = o.job_id,
                        "the outcome was refused; committing the evidence alone"
                    );
                    if let Some(e) = o.evidence {
                        self.commit_evidence(o.job_id, e).await;
                    }
                    return;
                }
                Err(e) if e.is_retryable() => {
                    tracing::warn!(job_id = o.job_id, error = %e, attempt, "reporting the outcome failed; retrying");
                    tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
                }
                Err(e) => {
                    tracing::error!(job_id = o.job_id, error = %e, "the outcome could not be reported");
                    return;
                }
            }
        }
    }

    /// Commits the metering chain's head of a job that ended by cancellation, retrying while
    /// the node is unavailable (the chain refuses a second commitment).
    async fn commit_evidence(&self, job_id: u64, evidence: Evidence) {
        for attempt in 1..=5u32 {
            match self.chain.commit_evidence(job_id, &evidence).await {
                Ok(_) => return,
                Err(e) if e.is_retryable() => {
                    tracing::warn!(job_id, error = %e, attempt, "committing the evidence failed; retrying");
                    tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
                }
                Err(e) => {
                    tracing::error!(job_id, error = %e, "the evidence could not be committed");
                    return;
                }
            }
        }
    }

    fn failed(job_id: u64, exit_code: u64, reason: String) -> Outcome {
        Outcome {
            job_id,
            status: JobStatus::Failed,
            exit_code,
            reason,
            output_url: String::new(),
            output_cid: String::new(),
            evidence: None,
        }
    }

    /// A job running on chain whose container is gone: failed, never started again.
    pub async fn fail_orphan(&self, job_id: u64) {
        self.report(Self::failed(
            job_id,
            0,
            "the job's container is gone (the executor restarted); it is not started again".into(),
        ))
        .await;
    }

    /// Runs or adopts `job` until its outcome is on chain (or `stop` fires: a cancellation
    /// or the executor's shutdown).
    pub async fn run(self, job: JobRequest, start: Start, stop: Shutdown) {
        let job_id = job.job_id;
        let (container, mut head) = match start {
            Start::Adopt {
                container,
                head,
                never_started,
            } => {
                if never_started {
                    if let Err(e) = self.runtime.start(&container).await {
                        self.report(Self::failed(
                            job_id,
                            0,
                            format!("the container did not start: {e}"),
                        ))
                        .await;
                        return;
                    }
                }
                (container, head)
            }
            Start::Fresh => match self.start_fresh(&job).await {
                Some(c) => (c, MeteringHead::default()),
                None => return,
            },
        };
        self.shared.set_container(job_id, Some(container.clone()));
        tracing::info!(job_id, %container, second = head.second, "supervising");
        let mut how = self.supervise(&job, &container, &mut head, &stop).await;
        if !matches!(how, Stop::Shutdown) && self.shared.is_cancelled(job_id) {
            // Cancelled while another stop rule fired: there is no outcome to report, only
            // the evidence to commit.
            how = Stop::Cancelled;
        }
        let out = output_dir(&self.config, job_id);
        let outcome = match how {
            Stop::Shutdown => return, // adopted again on restart
            Stop::Cancelled => {
                let _ = self.runtime.stop(&container, 2).await;
                // The evidence before the clean-up: a busy engine was seen taking minutes to
                // remove a stopped container, and the buyer's verdict waited on it.
                self.commit_evidence(job_id, evidence_of(&head)).await;
                let _ = self.runtime.remove(&container).await;
                self.shared.set_container(job_id, None);
                return;
            }
            Stop::Exited(exit) if exit.oom_killed => Self::failed(
                job_id,
                exit.code.max(0) as u64,
                format!(
                    "out of memory: the job exceeded its memory limit of {} MiB",
                    self.config.sandbox.memory_mb
                ),
            ),
            Stop::Exited(exit) if exit.code == SIGXFSZ_EXIT => Self::failed(
                job_id,
                exit.code.max(0) as u64,
                format!(
                    "the job wrote a file past its output quota of {} MiB (SIGXFSZ)",
                    self.config.sandbox.output_max_mb
                ),
            ),
            Stop::Exited(exit) if exit.code != 0 => Self::failed(
                job_id,
                exit.code.max(0) as u64,
                format!("the job exited with code {}", exit.code),
            ),
            Stop::Exited(_) => {
                let mut o = Outcome {
                    job_id,
                    status: JobStatus::Completed,
                    exit_code: 0,
                    reason: String::new(),
                    output_url: String::new(),
                    output_cid: String::new(),
                    evidence: None,
                };
                let quota = self.config.sandbox.output_quota();
                match self.artifacts.store_outputs(&out, quota).await {
                    Ok(Some(s)) => {
                        o.output_url = s.url;
                        o.output_cid = s.cid;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        o = Self::failed(job_id, 0, format!("storing the outputs failed: {e}"));
                    }
                }
                o
            }
            Stop::MaxDuration => Self::failed(
                job_id,
                137,
                format!("stopped at its max duration of {} s", job.max_duration_secs),
            ),
            Stop::OutputQuota(why) => Self::failed(job_id, 137, format!("stopped: {why}")),
            Stop::Unpaid { paid, served } => Self::failed(
                job_id,
                137,
                format!(
                    "payment stopped: vouchers pay for {paid} s of {served} s served (grace {} s)",
                    self.config.grace_secs
                ),
            ),
        };
        let mut outcome = outcome;
        outcome.evidence = Some(evidence_of(&head));
        let _ = self.runtime.remove(&container).await;
        self.shared.set_container(job_id, None);
        self.shared
            .set_output(job_id, &outcome.output_url, &outcome.output_cid);
        tracing::info!(job_id, status = ?outcome.status, reason = %outcome.reason, "job ended");
        self.report(outcome).await;
    }

    /// Checks the image, marks the job running on chain, starts the container. `None` when
    /// the job does not start (its failure is reported).
    async fn start_fresh(&self, job: &JobRequest) -> Option<String> {
        let job_id = job.job_id;
        match self.runtime.image_present(&job.image).await {
            Ok(true) => {}
            Ok(false) => {
                self.report(Self::failed(
                    job_id,
                    0,
                    format!(
                        "image {} is not present on this provider and cannot be pulled",
                        job.image
                    ),
                ))
                .await;
                return None;
            }
            Err(e) => {
                self.report(Self::failed(job_id, 0, format!("container engine: {e}")))
                    .await;
                return None;
            }
        }
        let out = output_dir(&self.config, job_id);
        if let Err(e) = prepare_output_dir(&out) {
            self.report(Self::failed(
                job_id,
                0,
                format!("preparing the job directory: {e}"),
            ))
            .await;
            return None;
        }
        let mut marked = self.chain.mark_running(job_id).await;
        for attempt in 1..=6u64 {
            match &marked {
                Err(e) if e.is_retryable() => {
                    tracing::warn!(job_id, error = %e, attempt, "marking the job running failed; retrying");
                    tokio::time::sleep(Duration::from_secs(attempt * 2)).await;
                    marked = self.chain.mark_running(job_id).await;
                }
                _ => break,
            }
        }
        match marked {
            Ok(true) => self.shared.set_status(job_id, JobStatus::Running, ""),
            Ok(false) => {
                // Refused: cancelled meanwhile, or already marked running by an earlier run
                // of this executor that stopped before its container started. Never start a
                // job twice; an orphaned running job is failed.
                self.report(Self::failed(
                    job_id,
                    0,
                    "the executor restarted before the job's container started".into(),
                ))
                .await;
                return None;
            }
            Err(e) => {
                // Not started, and it stays pending on chain: the buyer can cancel it (and
                // is refunded), or the next start of this executor tries again.
                tracing::error!(job_id, error = %e, "could not mark the job running; it stays pending");
                return None;
            }
        }
        let spec = container_spec(job, &self.ctx_provider(), &self.config.sandbox, &out);
        match self.runtime.run(&spec).await {
            Ok(id) => Some(id),
            Err(ContainerError::Conflict(m)) => {
                tracing::warn!(job_id, %m, "its container exists already; not starting it again");
                None
            }
            Err(e) => {
                self.report(Self::failed(
                    job_id,
                    0,
                    format!("the container did not start: {e}"),
                ))
                .await;
                None
            }
        }
    }

    /// Appends signed, hash-chained records for every second after `head` up to `served`
    /// (at most the job's max duration). The usage sample goes with the first of them.
    fn meter_until(
        &self,
        job: &JobRequest,
        head: &mut MeteringHead,
        served: u64,
        sample: (u64, u64),
        unsent: &mut Vec<Envelope>,
    ) {
        let mut sample = Some(sample);
        while head.second < served.min(job.max_duration_secs) {
            let (cpu, memory) = sample.take().unwrap_or((0, 0));
            let record = MeteringRecord {
                chain_id: self.ctx.chain_id,
                package: self.ctx.package,
                stream_id: job.job_id,
                provider: self.shared.provider,
                second: head.second + 1,
                prev_hash: head.hash,
                observed_at_ms: now_ms(),
                cpu_usage_micros: cpu,
                memory_bytes: memory,
                gpu: None,
            };
            head.second = record.second;
            head.hash = record.hash();
            unsent.push(Envelope::metering_tick(MeteringTick {
                record: record.sign(&self.key),
            }));
            metrics::counter!("computestream_executor_metered_seconds_total").increment(1);
        }
    }

    fn ctx_provider(&self) -> String {
        self.shared.provider.to_long_string()
    }

    async fn supervise(
        &self,
        job: &JobRequest,
        container: &str,
        head: &mut MeteringHead,
        stop: &Shutdown,
    ) -> Stop {
        let runtime = self.runtime.clone();
        let id = container.to_owned();
        let mut wait = tokio::spawn(async move { runtime.wait(&id).await });
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        // Seconds served are wall-clock seconds since supervision began (on top of what was
        // metered before a restart), not loop iterations: a loaded host whose engine answers
        // slowly meters late, in a burst, but never loses a second.
        let began = tokio::time::Instant::now();
        let metered_before = head.second;
        let mut last_cpu_ns: Option<u64> = None;
        let mut unsent: Vec<Envelope> = Vec::new();
        let mut judge = PaymentJudge::new(self.config.grace_secs, std::time::Instant::now());
        loop {
            let scheduled = tokio::select! {
                exit = &mut wait => {
                    // The whole seconds it ran since the last tick are served too.
                    let served = metered_before + began.elapsed().as_secs();
                    self.meter_until(job, head, served, (0, 0), &mut unsent);
                    self.flush_all(head, &mut unsent).await;
                    return match exit {
                        Ok(Ok(exit)) => Stop::Exited(exit),
                        Ok(Err(e)) => {
                            tracing::warn!(job_id = job.job_id, error = %e, "waiting for the container failed");
                            Stop::Exited(Exit { code: -1, oom_killed: false })
                        }
                        Err(_) => Stop::Exited(Exit { code: -1, oom_killed: false }),
                    };
                }
                _ = stop.wait() => {
                    wait.abort();
                    self.flush_all(head, &mut unsent).await;
                    return if self.shared.is_cancelled(job.job_id) { Stop::Cancelled } else { Stop::Shutdown };
                }
                t = tick.tick() => t,
            };
            // Late behind its schedule: the process itself was not running (no buyer could
            // pay either).
            judge.ticked(scheduled.elapsed(), std::time::Instant::now());
            // One more second served: meter it.
            let usage = self.runtime.usage(container).await.ok().flatten();
            let cpu_micros = match (usage, last_cpu_ns) {
                (Some(u), Some(prev)) => u.cpu_total_ns.saturating_sub(prev) / 1000,
                (Some(u), None) => u.cpu_total_ns / 1000,
                _ => 0,
            };
            if let Some(u) = usage {
                last_cpu_ns = Some(u.cpu_total_ns);
            }
            let served = metered_before + began.elapsed().as_secs();
            let sample = (cpu_micros, usage.map(|u| u.memory_bytes).unwrap_or(0));
            self.meter_until(job, head, served, sample, &mut unsent);
            self.flush(&mut unsent).await;
            self.shared.set_seconds(job.job_id, head.second);

            if head.second >= job.max_duration_secs {
                let _ = self.runtime.stop(container, 2).await;
                wait.abort();
                self.flush_all(head, &mut unsent).await;
                return Stop::MaxDuration;
            }
            if let Some(why) = self.past_output_quota(job.job_id).await {
                let _ = self.runtime.stop(container, 2).await;
                wait.abort();
                self.flush_all(head, &mut unsent).await;
                return Stop::OutputQuota(why);
            }
            let paid = self.shared.paid_seconds(job.job_id);
            let storing = self.shared.book().in_flight(job.job_id) > 0;
            if judge.unpaid(head.second, paid, storing, std::time::Instant::now()) {
                let _ = self.runtime.stop(container, 2).await;
                wait.abort();
                self.flush_all(head, &mut unsent).await;
                return Stop::Unpaid {
                    paid,
                    served: head.second,
                };
            }
        }
    }

    /// Why the job's `/out` is past its quota, if it is (the walk stops at the limit; an
    /// unreadable directory is not a reason to stop a paid job and is checked again next
    /// second).
    async fn past_output_quota(&self, job_id: u64) -> Option<String> {
        let out = output_dir(&self.config, job_id);
        let quota = self.config.sandbox.output_quota();
        match tokio::task::spawn_blocking(move || crate::outputs_quota::scan(&out, quota)).await {
            Ok(Ok(Err(exceeded))) => Some(exceeded.to_string()),
            _ => None,
        }
    }

    /// Publishes metering records in order; what fails stays queued (the chain of records
    /// must stay gapless), and is retried next second.
    /// When the job ends: publishes every queued record, retrying for up to about a minute
    /// (the records are the job's evidence and nothing meters them again). What still fails
    /// is dropped and `head` goes back to the last record stored, so the evidence committed
    /// on chain is the chain of records in the log.
    async fn flush_all(&self, head: &mut MeteringHead, unsent: &mut Vec<Envelope>) {
        for attempt in 1..=40u64 {
            self.flush(unsent).await;
            if unsent.is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(250 * attempt.min(8))).await;
        }
        if let Some(Event::MeteringTick(t)) = unsent.first().map(|e| &e.event) {
            let r = &t.record.record;
            // A send that failed may still have been stored (a timeout while in flight, a
            // purge when the producer session was replaced): the log, not our guess, says
            // where the chain of records ends.
            for attempt in 1..=10u64 {
                match self.head_in_log(r.stream_id).await {
                    Ok(found) => {
                        tracing::error!(
                            stream_id = r.stream_id,
                            queued = unsent.len(),
                            second = found.second,
                            "metering records could not be stored; the evidence ends at the log's last record"
                        );
                        *head = found;
                        unsent.clear();
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(stream_id = r.stream_id, error = %e, attempt, "cannot read the job's records back; retrying");
                        tokio::time::sleep(Duration::from_secs(attempt.min(5))).await;
                    }
                }
            }
            tracing::error!(
                stream_id = r.stream_id,
                second = r.second,
                queued = unsent.len(),
                "metering records could not be stored or read back; the evidence ends before them"
            );
            *head = MeteringHead {
                second: r.second.saturating_sub(1),
                hash: r.prev_hash,
            };
        }
        unsent.clear();
    }

    /// Where this provider's chain of records for `stream_id` ends in the log: its records
    /// in log order through [`MeteringChain`] (copies of a record count once).
    async fn head_in_log(
        &self,
        stream_id: u64,
    ) -> Result<MeteringHead, computestream_eventlog::EventLogError> {
        let envelopes = job_log::job_envelopes(&self.kafka, stream_id).await?;
        Ok(chain_head(
            self.ctx,
            stream_id,
            self.key.public_key(),
            envelopes.iter().map(|e| &e.event),
        ))
    }

    async fn flush(&self, unsent: &mut Vec<Envelope>) {
        while let Some(env) = unsent.first() {
            match self.producer.send(env).await {
                Ok(_) => {
                    unsent.remove(0);
                }
                Err(e) => {
                    tracing::warn!(error = %e, queued = unsent.len(), "metering record not stored yet");
                    return;
                }
            }
        }
    }
}

/// The head of `provider_key`'s unbroken chain of records for `stream_id` among `events`
/// (in log order; other streams' events, duplicates and records past a gap are skipped).
fn chain_head<'a>(
    ctx: VoucherContext,
    stream_id: u64,
    provider_key: computestream_domain::PublicKey,
    events: impl Iterator<Item = &'a Event>,
) -> MeteringHead {
    let mut chain = MeteringChain::new(ctx, stream_id, provider_key);
    for e in events {
        if let Event::MeteringTick(t) = e {
            if t.record.record.stream_id == stream_id {
                let _ = chain.accept(&t.record);
            }
        }
    }
    MeteringHead {
        second: chain.attested_seconds(),
        hash: chain.head(),
    }
}

/// The job's output directory, writable by the sandbox's non-root user.
fn prepare_output_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777))
}

#[cfg(test)]
mod tests {
    use super::*;
    use computestream_domain::AccountAddress;

    #[test]
    fn the_head_in_the_log_counts_copies_once_and_stops_at_a_gap() {
        let ctx = VoucherContext {
            chain_id: 4,
            package: AccountAddress::ONE,
        };
        let key = SigningKey::from_seed([9; 32]);
        let mut prev = METERING_GENESIS_HASH;
        let mut events = Vec::new();
        let mut heads = Vec::new();
        for second in 1..=5u64 {
            let record = MeteringRecord {
                chain_id: 4,
                package: AccountAddress::ONE,
                stream_id: 7,
                provider: AccountAddress::ONE,
                second,
                prev_hash: prev,
                observed_at_ms: second,
                cpu_usage_micros: 0,
                memory_bytes: 0,
                gpu: None,
            };
            prev = record.hash();
            heads.push(prev);
            let tick = Event::MeteringTick(MeteringTick {
                record: record.sign(&key),
            });
            // Second 2 stored twice (a send that failed although the broker kept it);
            // second 4 never stored.
            match second {
                2 => events.extend([tick.clone(), tick]),
                4 => {}
                _ => events.push(tick),
            }
        }
        let head = chain_head(ctx, 7, key.public_key(), events.iter());
        assert_eq!(
            head,
            MeteringHead {
                second: 3,
                hash: heads[2]
            }
        );
        let none = chain_head(ctx, 8, key.public_key(), events.iter());
        assert_eq!(none, MeteringHead::default(), "another stream's records");
    }
}
