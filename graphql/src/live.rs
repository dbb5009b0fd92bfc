//! The live feed: one log consumer per gateway, reading the chain-event and metering topics
//! from their ends, fanned out to every subscriber through a bounded broadcast channel. A
//! subscriber that falls more than the channel's capacity behind skips ahead (and is told
//! how much it missed in the metrics); nobody waits for it. Every gateway replica runs its
//! own consumer, so each delivers every update to its own subscribers.

use std::sync::Arc;
use std::time::Duration;

use computestream_domain::Octas;
use computestream_eventlog::{KafkaSettings, LogConsumer};
use computestream_runtime::{now_ms, Health, Shutdown};
use computestream_schemas::{topics, Envelope, Event};
use tokio::sync::broadcast;

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
    format!("{s:?}").to_lowercase()
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

#[derive(Debug, Clone)]
pub struct LiveFeed {
    tx: broadcast::Sender<Arc<Update>>,
}

impl LiveFeed {
    pub fn new(capacity: usize) -> Self {
        LiveFeed {
            tx: broadcast::channel(capacity.max(1)).0,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Update>> {
        self.tx.subscribe()
    }

    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }

    /// Publishes an update to every current subscriber.
    pub fn publish(&self, u: Update) {
        let _ = self.tx.send(Arc::new(u));
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
        loop {
            let r = tokio::select! {
                _ = shutdown.wait() => return Ok(()),
                r = consumer.next() => r,
            };
            match r {
                Ok(rec) => {
                    let Ok(env) = Envelope::from_json(&rec.payload) else {
                        continue;
                    };
                    let u = classify(env);
                    metrics::histogram!("computestream_gateway_feed_delay_seconds")
                        .record(now_ms().saturating_sub(u.at_ms) as f64 / 1000.0);
                    metrics::gauge!("computestream_gateway_subscribers")
                        .set(self.subscribers() as f64);
                    self.publish(u);
                }
                Err(e) if e.is_retryable() => {
                    health.failing("live-feed", e.to_string());
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}
