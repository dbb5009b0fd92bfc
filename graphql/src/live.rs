//! The live feed: one log consumer per gateway, reading the chain-event and metering topics
//! from their ends, fanned out through bounded broadcast channels: one per watched job (its
//! ticks, vouchers, settlements, close and status changes) and one for the marketplace-wide
//! subscriptions, so an update wakes only the subscribers it concerns (10,000 subscribers
//! of 1,000 streams see 10 deliveries per tick, not 10,000). A subscriber that falls more
//! than the channel's capacity behind skips ahead (counted in the metrics); nobody waits
//! for it. Every gateway replica runs its own consumer, so each delivers every update to
//! its own subscribers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use computestream_domain::Octas;
use computestream_eventlog::{KafkaSettings, LogConsumer};
use computestream_runtime::{now_ms, Health, Shutdown};
use computestream_schemas::{topics, Envelope, Event};
use futures::Stream;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::broadcast;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

use crate::GatewayError;

/// One update, as subscribers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Live {
    Tick {
        stream: u64,
        second: u64,
    },
    Voucher {
        stream: u64,
        cumulative: Octas,
    },
    Settled {
        stream: u64,
        paid_now: Octas,
        paid_total: Octas,
    },
    Closed {
        stream: u64,
        paid_total: Octas,
        refunded: Octas,
    },
    JobStatus {
        job: u64,
        from: String,
        to: String,
        reason: String,
    },
    Availability {
        provider: String,
        is_active: bool,
    },
    Heartbeat {
        provider: String,
        available: bool,
        running_jobs: u32,
    },
    Other {
        kind: String,
        key: String,
    },
}

/// An update with the time its event happened (ms), for latency.
#[derive(Debug, Clone)]
pub struct Update {
    pub at_ms: u64,
    pub live: Live,
}

fn status(s: computestream_domain::JobStatus) -> String {
    s.as_str().to_owned()
}

pub fn classify(env: Envelope) -> Update {
    let at_ms = env.occurred_at_ms;
    let kind = env.kind().as_str().to_owned();
    let key = env.aggregate_key.clone();
    let live = match env.event {
        Event::MeteringTick(t) => Live::Tick {
            stream: t.record.record.stream_id,
            second: t.record.record.second,
        },
        Event::VoucherReceived(v) => Live::Voucher {
            stream: v.voucher.voucher.stream_id,
            cumulative: v.voucher.voucher.cumulative_amount,
        },
        Event::StreamSettled(s) => Live::Settled {
            stream: s.stream_id,
            paid_now: s.paid_now,
            paid_total: s.paid_total,
        },
        Event::StreamClosed(c) => Live::Closed {
            stream: c.stream_id,
            paid_total: c.paid_total,
            refunded: c.refunded,
        },
        Event::JobStatusChanged(c) => Live::JobStatus {
            job: c.job_id,
            from: status(c.from),
            to: status(c.to),
            reason: c.reason,
        },
        Event::ProviderAvailabilityUpdated(p) => Live::Availability {
            provider: p.provider.to_long_string(),
            is_active: p.is_active,
        },
        Event::ProviderHeartbeat(h) => Live::Heartbeat {
            provider: h.provider.to_long_string(),
            available: h.available,
            running_jobs: h.running_jobs,
        },
        _ => Live::Other { kind, key },
    };
    Update { at_ms, live }
}

/// Which subscribers an update concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Only the subscribers of this job's channel (metering ticks and vouchers).
    Job(u64),
    /// This job's subscribers and the marketplace-wide ones (settlements, closes, status).
    JobAndMarket(u64),
    /// Only the marketplace-wide subscribers (providers, other chain events).
    Market,
}

impl Live {
    /// Who receives it: per-job updates go only to that job's channel, so an update wakes
    /// the subscribers that want it, not every subscriber of the gateway.
    pub fn audience(&self) -> Audience {
        match self {
            Live::Tick { stream, .. } | Live::Voucher { stream, .. } => Audience::Job(*stream),
            Live::Settled { stream, .. } | Live::Closed { stream, .. } => {
                Audience::JobAndMarket(*stream)
            }
            Live::JobStatus { job, .. } => Audience::JobAndMarket(*job),
            Live::Availability { .. } | Live::Heartbeat { .. } | Live::Other { .. } => {
                Audience::Market
            }
        }
    }
}

type Channel = broadcast::Sender<Arc<Update>>;

/// A job's updates (see [`LiveFeed::job_feed`]); lagging shows as an error item.
#[derive(Debug)]
pub struct JobFeed {
    // Dropped before `_leave`, so `_leave` sees the receiver gone.
    inner: BroadcastStream<Arc<Update>>,
    _leave: LeaveJob,
}

#[derive(Debug)]
struct LeaveJob {
    jobs: Arc<Mutex<HashMap<u64, Channel>>>,
    job: u64,
}

impl Drop for LeaveJob {
    fn drop(&mut self) {
        let mut m = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        if m.get(&self.job).is_some_and(|c| c.receiver_count() == 0) {
            m.remove(&self.job);
        }
    }
}

impl Stream for JobFeed {
    type Item = Result<Arc<Update>, BroadcastStreamRecvError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.inner).poll_next(cx)
    }
}

/// The fan-out: one bounded broadcast channel per job that has subscribers, and one for the
/// marketplace-wide subscriptions. A job's channel exists while it has receivers; the
/// publisher drops it when its last receiver has gone.
#[derive(Debug, Clone)]
pub struct LiveFeed {
    capacity: usize,
    market: Channel,
    jobs: Arc<Mutex<HashMap<u64, Channel>>>,
}

impl LiveFeed {
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        LiveFeed {
            capacity,
            market: broadcast::channel(capacity).0,
            jobs: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    fn jobs(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Channel>> {
        // The map holds only channels: a panic elsewhere cannot leave it inconsistent.
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The updates of one job: its ticks, vouchers, settlements, close and status changes.
    pub fn subscribe_job(&self, job: u64) -> broadcast::Receiver<Arc<Update>> {
        self.jobs()
            .entry(job)
            .or_insert_with(|| broadcast::channel(self.capacity).0)
            .subscribe()
    }

    /// The updates of one job as a stream that frees the job's channel when it is dropped
    /// as its last receiver (no channel outlives its subscribers, whether or not the job
    /// gets updates).
    pub fn job_feed(&self, job: u64) -> JobFeed {
        JobFeed {
            inner: BroadcastStream::new(self.subscribe_job(job)),
            _leave: LeaveJob {
                jobs: self.jobs.clone(),
                job,
            },
        }
    }

    /// The marketplace-wide updates: providers, settlements, closes, status changes and
    /// every other chain event (no per-second ticks or vouchers).
    pub fn subscribe_market(&self) -> broadcast::Receiver<Arc<Update>> {
        self.market.subscribe()
    }

    /// Current subscribers, all channels together.
    pub fn subscribers(&self) -> usize {
        let jobs: usize = self.jobs().values().map(|c| c.receiver_count()).sum();
        jobs + self.market.receiver_count()
    }

    /// Jobs that currently have a channel.
    pub fn job_channels(&self) -> usize {
        self.jobs().len()
    }

    /// Publishes an update to the subscribers it concerns.
    pub fn publish(&self, u: Update) {
        let audience = u.live.audience();
        let u = Arc::new(u);
        let job = match audience {
            Audience::Job(j) => j,
            Audience::JobAndMarket(j) => {
                let _ = self.market.send(u.clone());
                j
            }
            Audience::Market => {
                let _ = self.market.send(u);
                return;
            }
        };
        let mut jobs = self.jobs();
        if let Some(ch) = jobs.get(&job) {
            if ch.send(u).is_err() {
                // No receiver is left: the last subscriber of this job went away.
                jobs.remove(&job);
            }
        }
    }

    /// Drops the channels of jobs nobody watches any more (publishing cleans up the jobs
    /// that still get updates; this cleans up the quiet ones).
    pub fn prune(&self) {
        self.jobs().retain(|_, c| c.receiver_count() > 0);
    }

    /// Consumes the log from its ends until `shutdown`.
    pub async fn run(
        self,
        kafka: KafkaSettings,
        health: Health,
        shutdown: Shutdown,
    ) -> Result<(), GatewayError> {
        computestream_eventlog::admin::ensure_topics(
            &kafka,
            &[topics::CHAIN_EVENTS, topics::METERING],
        )
        .await?;
        // From the ends: subscribers want what happens from now on.
        let mut ends = Vec::new();
        for spec in [topics::CHAIN_EVENTS, topics::METERING] {
            let topic = kafka.topic(spec.name);
            let marks =
                computestream_eventlog::tails::watermarks(&kafka, &topic, spec.partitions).await?;
            for (p, (_, high)) in marks.into_iter().enumerate() {
                ends.push((topic.clone(), p as i32, high));
            }
        }
        let consumer = LogConsumer::new(&kafka, "computestream-gateway")?;
        consumer.assign_many(&ends)?;
        health.ok("live-feed");
        let mut pruned = Instant::now();
        // Whether reads fail (the broker is away); a record, or a quiet second without an
        // error, ends it.
        let mut failing = false;
        loop {
            let r = tokio::select! {
                _ = shutdown.wait() => return Ok(()),
                r = tokio::time::timeout(Duration::from_secs(1), consumer.next()) => r,
            };
            let Ok(r) = r else {
                if std::mem::take(&mut failing) {
                    health.ok("live-feed");
                }
                continue;
            };
            if r.is_ok() && std::mem::take(&mut failing) {
                health.ok("live-feed");
            }
            match r {
                Ok(rec) => {
                    let Ok(env) = Envelope::from_json(&rec.payload) else {
                        continue;
                    };
                    let u = classify(env);
                    metrics::histogram!("computestream_gateway_feed_delay_seconds")
                        .record(now_ms().saturating_sub(u.at_ms) as f64 / 1000.0);
                    self.publish(u);
                    if pruned.elapsed() > Duration::from_secs(1) {
                        self.prune();
                        metrics::gauge!("computestream_gateway_subscribers")
                            .set(self.subscribers() as f64);
                        pruned = Instant::now();
                    }
                }
                Err(e) if e.is_retryable() => {
                    health.failing("live-feed", e.to_string());
                    failing = true;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(live: Live) -> Update {
        Update { at_ms: 1, live }
    }

    fn drain(rx: &mut broadcast::Receiver<Arc<Update>>) -> Vec<Live> {
        let mut out = Vec::new();
        while let Ok(u) = rx.try_recv() {
            out.push(u.live.clone());
        }
        out
    }

    #[test]
    fn a_job_subscriber_gets_only_its_job_and_the_market_no_ticks() {
        let feed = LiveFeed::new(16);
        let mut one = feed.subscribe_job(1);
        let mut two = feed.subscribe_job(2);
        let mut market = feed.subscribe_market();
        let tick = Live::Tick {
            stream: 1,
            second: 5,
        };
        let settled = Live::Settled {
            stream: 2,
            paid_now: Octas(3),
            paid_total: Octas(3),
        };
        let status = Live::JobStatus {
            job: 1,
            from: "pending".into(),
            to: "running".into(),
            reason: String::new(),
        };
        let avail = Live::Availability {
            provider: "0x1".into(),
            is_active: true,
        };
        for l in [&tick, &settled, &status, &avail] {
            feed.publish(update(l.clone()));
        }
        assert_eq!(drain(&mut one), vec![tick, status.clone()]);
        assert_eq!(drain(&mut two), vec![settled.clone()]);
        assert_eq!(drain(&mut market), vec![settled, status, avail]);
        assert_eq!(feed.subscribers(), 3);
    }

    #[test]
    fn a_job_channel_goes_with_its_last_subscriber() {
        let feed = LiveFeed::new(4);
        let a = feed.subscribe_job(7);
        let b = feed.subscribe_job(7);
        let quiet = feed.subscribe_job(8);
        assert_eq!(feed.job_channels(), 2);
        drop(a);
        feed.publish(update(Live::Tick {
            stream: 7,
            second: 1,
        }));
        assert_eq!(feed.job_channels(), 2, "one subscriber of job 7 is left");
        drop(b);
        feed.publish(update(Live::Tick {
            stream: 7,
            second: 2,
        }));
        assert_eq!(
            feed.job_channels(),
            1,
            "publishing found nobody and dropped it"
        );
        drop(quiet);
        feed.prune();
        assert_eq!(feed.job_channels(), 0);
        assert_eq!(feed.subscribers(), 0);
    }

    #[test]
    fn a_job_feed_frees_its_channel_when_its_last_subscriber_goes() {
        let feed = LiveFeed::new(4);
        let a = feed.job_feed(9);
        let b = feed.job_feed(9);
        drop(a);
        assert_eq!(feed.job_channels(), 1);
        drop(b);
        assert_eq!(feed.job_channels(), 0, "no publish or prune needed");
    }

    #[test]
    fn a_slow_subscriber_lags_and_skips_ahead_without_blocking_the_publisher() {
        let feed = LiveFeed::new(2);
        let mut slow = feed.subscribe_job(3);
        for second in 1..=5 {
            feed.publish(update(Live::Tick { stream: 3, second }));
        }
        assert!(matches!(
            slow.try_recv(),
            Err(broadcast::error::TryRecvError::Lagged(3))
        ));
        assert_eq!(
            drain(&mut slow),
            vec![
                Live::Tick {
                    stream: 3,
                    second: 4
                },
                Live::Tick {
                    stream: 3,
                    second: 5
                }
            ]
        );
    }
}
