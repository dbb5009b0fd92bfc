//! `computestream execute`: reads the chain-event and metering topics from the start (the
//! executor's state is the log: its jobs, their streams, the vouchers it accepted, where
//! its metering chains stand), reconciles with the containers on the engine once caught up
//! (re-adopting running jobs, failing orphans, removing leftovers), then takes each new job
//! of this provider as it is created. Heartbeats keep the provider listed as available.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use computestream_domain::{
    AccountAddress, JobStatus, Octas, SigningKey, StreamTerms, VoucherContext,
};
use computestream_eventlog::tails::{CatchUp, CATCH_UP_STALL};
use computestream_eventlog::{admin, EnvelopeProducer, KafkaSettings, LogConsumer};
use computestream_runtime::{now_ms, Health, Shutdown};
use computestream_schemas::events::ProviderHeartbeat;
use computestream_schemas::{topics, Envelope, Event};

use crate::artifacts::ArtifactStore;
use crate::chain::JobChain;
use crate::container::ContainerRuntime;
use crate::recovery::Recovery;
use crate::sandbox::JobRequest;
use crate::state::ExecutorState;
use crate::supervisor::{JobContext, MeteringHead, Start};
use crate::{ExecutorConfig, ExecutorError};

pub struct Executor<R: ContainerRuntime, C: JobChain> {
    pub runtime: Arc<R>,
    pub chain: Arc<C>,
    pub kafka: KafkaSettings,
    pub config: ExecutorConfig,
    pub key: SigningKey,
    pub shared: Arc<ExecutorState>,
    pub health: Health,
}

impl<R: ContainerRuntime, C: JobChain> std::fmt::Debug for Executor<R, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("provider", &self.shared.provider)
            .finish_non_exhaustive()
    }
}

/// What one log record means to this executor.
enum Fact {
    Created(JobRequest),
    Opened(StreamTerms),
    Deposited(u64, Octas),
    /// A status change, with the outputs (url, CID) a completion recorded.
    Status(u64, JobStatus, Option<(String, String)>),
    Closed(u64),
    Metered(u64, MeteringHead),
    Paid(u64, Octas, u64),
    Other,
}

fn fact(provider: &AccountAddress, payload: &[u8]) -> Fact {
    let Ok(env) = Envelope::from_json(payload) else {
        return Fact::Other;
    };
    match env.event {
        Event::JobCreated(j) if j.provider == *provider => Fact::Created(JobRequest {
            job_id: j.job_id,
            image: j.docker_image,
            max_duration_secs: j.max_duration_secs,
        }),
        Event::StreamOpened(s) if s.provider == *provider => Fact::Opened(StreamTerms {
            stream_id: s.stream_id,
            buyer_public_key: s.buyer_public_key,
            provider: s.provider,
            rate_per_second: s.rate_per_second,
            escrow: s.escrow,
        }),
        Event::EscrowDeposited(d) => Fact::Deposited(d.job_id, d.total_deposited),
        Event::JobStatusChanged(c) => Fact::Status(c.job_id, c.to, c.output_url.zip(c.output_cid)),
        Event::StreamClosed(c) => Fact::Closed(c.stream_id),
        Event::MeteringTick(t) if t.record.record.provider == *provider => {
            let r = t.record.record;
            Fact::Metered(
                r.stream_id,
                MeteringHead {
                    second: r.second,
                    hash: r.hash(),
                },
            )
        }
        Event::VoucherReceived(v) => Fact::Paid(
            v.voucher.voucher.stream_id,
            v.voucher.voucher.cumulative_amount,
            env.occurred_at_ms,
        ),
        _ => Fact::Other,
    }
}

/// A started executor: its x402 endpoint's address and the task running everything.
#[derive(Debug)]
pub struct RunningExecutor {
    pub endpoint: std::net::SocketAddr,
    pub task: tokio::task::JoinHandle<Result<(), ExecutorError>>,
}

impl<R: ContainerRuntime, C: JobChain> Executor<R, C> {
    /// The executor of the provider whose key is `key`, for the deployment `ctx`, with a
    /// fresh state (rebuilt from the log when it starts).
    pub fn new(
        runtime: Arc<R>,
        chain: Arc<C>,
        kafka: KafkaSettings,
        config: ExecutorConfig,
        key: SigningKey,
        ctx: VoucherContext,
        health: Health,
    ) -> Self {
        let provider = computestream_domain::ed25519_authentication_key(&key.public_key());
        let shared = ExecutorState::new(
            provider,
            ctx,
            config.payment_ahead_secs,
            config.retained_finished_jobs,
        );
        Executor {
            runtime,
            chain,
            kafka,
            config,
            key,
            shared,
            health,
        }
    }

    /// Binds the buyers' x402 endpoint on `config.listen` and runs until `shutdown`.
    /// `public_url` is how buyers reach the endpoint (`None`: `executor.public_url`, else its
    /// bound address); it is what the heartbeats announce.
    pub async fn start(
        mut self,
        public_url: Option<String>,
        shutdown: Shutdown,
    ) -> Result<RunningExecutor, ExecutorError> {
        self.health.failing("executor", "starting");
        let producer = EnvelopeProducer::new(&self.kafka, "computestream-executor-x402")?;
        let listener = tokio::net::TcpListener::bind(self.config.listen)
            .await
            .map_err(ExecutorError::Listen)?;
        let addr = listener.local_addr().map_err(ExecutorError::Listen)?;
        let public_url = public_url
            .or_else(|| self.config.public_url.clone())
            .unwrap_or_else(|| format!("http://{addr}"));
        self.config.public_url = Some(public_url.clone());
        let artifacts = ArtifactStore::open(&self.config.artifacts_url, &self.config.s3)?;
        let endpoint = Arc::new(crate::x402_http::Endpoint {
            shared: self.shared.clone(),
            producer,
            artifacts,
            runtime: self.runtime.clone(),
            public_url,
        });
        let cors = crate::x402_http::cors(&self.config.cors_origins);
        let web =
            crate::x402_http::serve(listener, endpoint, cors, self.config.http, shutdown.child());
        let task = computestream_runtime::spawn_with_server(self.run(shutdown), web);
        Ok(RunningExecutor {
            endpoint: addr,
            task,
        })
    }

    pub async fn run(self, shutdown: Shutdown) -> Result<(), ExecutorError> {
        self.config.validate().map_err(ExecutorError::Config)?;
        self.health.failing("executor", "reading the log");
        let artifacts = ArtifactStore::open(&self.config.artifacts_url, &self.config.s3)?;
        std::fs::create_dir_all(&self.config.work_dir)?;
        admin::ensure_topics(&self.kafka, &[topics::CHAIN_EVENTS, topics::METERING]).await?;
        let producer = Arc::new(EnvelopeProducer::new(
            &self.kafka,
            "computestream-executor",
        )?);
        let provider = self.shared.provider;
        tracing::info!(%provider, "executor starting");

        let (starts, mut behind) = CatchUp::from_start(
            &self.kafka,
            &[topics::CHAIN_EVENTS, topics::METERING],
            |_| true,
        )
        .await?;
        let consumer = LogConsumer::new(&self.kafka, "computestream-executor")?;
        consumer.assign_many(&starts)?;

        let job_ctx = JobContext {
            runtime: self.runtime.clone(),
            chain: self.chain.clone(),
            producer: producer.clone(),
            artifacts,
            shared: self.shared.clone(),
            config: self.config.clone(),
            key: self.key.clone(),
            ctx: self.shared.ctx,
            kafka: self.kafka.clone(),
        };
        let mut recovery = Recovery::default();
        let mut tasks: HashMap<u64, (Shutdown, tokio::task::JoinHandle<()>)> = HashMap::new();
        let mut caught_up = behind.is_done();
        if caught_up {
            recovery.caught_up();
            self.reconcile(&job_ctx, &recovery, &mut tasks, &shutdown)
                .await?;
        }
        let mut heartbeat = tokio::time::interval(Duration::from_secs(self.config.heartbeat_secs));
        loop {
            let record = tokio::select! {
                _ = shutdown.wait() => break,
                _ = heartbeat.tick() => {
                    tasks.retain(|_, (_, t)| !t.is_finished());
                    // Metering heads of jobs that ended (or were forgotten) are not needed.
                    recovery.prune(caught_up, |id| {
                        self.shared.job(id).is_some_and(|j| !j.status.is_terminal())
                            || tasks.contains_key(&id)
                    });
                    let hb = ProviderHeartbeat {
                        provider,
                        at_ms: now_ms(),
                        available: true,
                        running_jobs: self.shared.running_jobs(),
                        endpoint: Some(self.config.endpoint()),
                    };
                    self.shared.export_job_states();
                    if let Err(e) = producer.send(&Envelope::heartbeat(hb)).await {
                        tracing::warn!(error = %e, "heartbeat not sent");
                    }
                    if !caught_up {
                        // A catch-up that stopped moving starts again (ride_out).
                        behind.check_progress(CATCH_UP_STALL)?;
                        self.health.failing("executor", format!("reading the log: {}", behind.progress()));
                    }
                    continue;
                }
                r = consumer.next() => r,
            };
            let record = match record {
                Ok(r) => r,
                Err(e) if e.is_retryable() => {
                    // The broker probe logs the outage once; each failed read is a debug line.
                    tracing::debug!(error = %e, "log read failed; retrying");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            behind.seen(&record);
            match fact(&provider, &record.payload) {
                Fact::Created(req) => {
                    let fresh = self.shared.add_job(&req);
                    if caught_up && fresh {
                        self.spawn(&job_ctx, req, Start::Fresh, &mut tasks, &shutdown);
                    }
                }
                Fact::Opened(terms) => {
                    recovery.opened(&mut self.shared.book(), terms, now_ms());
                }
                Fact::Deposited(job, total) => self.shared.book().deposited(job, total),
                Fact::Status(job, status, outputs) => {
                    self.shared.set_status(job, status, "");
                    if let Some((url, cid)) = outputs {
                        // Known after a restart too: the buyer may still download them.
                        self.shared.set_output(job, &url, &cid);
                    }
                    if status.is_terminal() {
                        self.shared.book().ended(job);
                    }
                    if status == JobStatus::Cancelled {
                        if let Some((stop, _)) = tasks.get(&job) {
                            stop.trigger();
                        }
                    }
                }
                Fact::Closed(stream) => self.shared.book().closed(stream),
                Fact::Metered(stream, head) => recovery.metered(stream, head),
                Fact::Paid(stream, amount, at) => {
                    recovery.paid(&mut self.shared.book(), stream, amount, at, caught_up);
                }
                Fact::Other => {}
            }
            if !caught_up && behind.is_done() {
                caught_up = true;
                recovery.caught_up();
                self.reconcile(&job_ctx, &recovery, &mut tasks, &shutdown)
                    .await?;
            }
        }
        for (_, (_, t)) in tasks {
            let _ = t.await;
        }
        Ok(())
    }

    fn spawn(
        &self,
        ctx: &JobContext<R, C>,
        req: JobRequest,
        start: Start,
        tasks: &mut HashMap<u64, (Shutdown, tokio::task::JoinHandle<()>)>,
        shutdown: &Shutdown,
    ) {
        let stop = shutdown.child();
        let job_id = req.job_id;
        let task = tokio::spawn(ctx.clone().run(req, start, stop.clone()));
        tasks.insert(job_id, (stop, task));
    }

    /// Once the log is read: adopt the containers of jobs still running, remove the others,
    /// fail running jobs whose container is gone, and start the pending ones.
    async fn reconcile(
        &self,
        ctx: &JobContext<R, C>,
        recovery: &Recovery,
        tasks: &mut HashMap<u64, (Shutdown, tokio::task::JoinHandle<()>)>,
        shutdown: &Shutdown,
    ) -> Result<(), ExecutorError> {
        let containers = self
            .runtime
            .list(&self.shared.provider.to_long_string())
            .await?;
        let mut adopted = std::collections::HashSet::new();
        for c in containers {
            match self.shared.job(c.job_id) {
                Some(j) if !j.status.is_terminal() => {
                    adopted.insert(c.job_id);
                    let head = recovery.head(c.job_id);
                    tracing::info!(
                        job_id = c.job_id,
                        running = c.running,
                        never_started = c.never_started,
                        "re-adopting its container"
                    );
                    self.spawn(
                        ctx,
                        j.request,
                        Start::Adopt {
                            container: c.id,
                            head,
                            never_started: c.never_started,
                        },
                        tasks,
                        shutdown,
                    );
                }
                _ => {
                    tracing::info!(job_id = c.job_id, "removing a leftover container");
                    self.runtime.remove(&c.id).await?;
                }
            }
        }
        for j in self.shared.jobs() {
            if adopted.contains(&j.request.job_id) || tasks.contains_key(&j.request.job_id) {
                continue;
            }
            match j.status {
                JobStatus::Pending => {
                    self.spawn(ctx, j.request, Start::Fresh, tasks, shutdown);
                }
                JobStatus::Running => {
                    // Running on chain, but no container: it cannot be resumed, and is never
                    // started twice.
                    let job_id = j.request.job_id;
                    let ctx = ctx.clone();
                    let task = tokio::spawn(async move {
                        ctx.fail_orphan(job_id).await;
                    });
                    tasks.insert(job_id, (shutdown.child(), task));
                }
                _ => {}
            }
        }
        self.health.ok("executor");
        tracing::info!(
            jobs = self.shared.jobs().len(),
            "executor caught up with the log"
        );
        Ok(())
    }
}
