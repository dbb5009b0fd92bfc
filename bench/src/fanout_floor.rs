//! `computestream-bench fanout-floor`: the least a WebSocket server must do to deliver the
//! gateway benchmark's updates, run in place of the gateway (`gateway --floor`) so the
//! gateway can be compared with it on the same machine, subscribers and broker.
//!
//! What it keeps of the gateway's work: one consumer of the topic the updates come from,
//! at its end, with the gateway's fetch wait; the `graphql-transport-ws` handshake
//! (`connection_init` → `connection_ack`, one `subscribe` per connection naming the job in
//! `variables.j`); one `next` message per subscriber of the job, with that subscriber's
//! `id`, written to its socket. What it leaves out: GraphQL (no document, no execution,
//! the payload is formatted directly), sessions, limits, keep-alives, per-connection tasks
//! (each writer task owns the sockets of a share of the jobs and writes them in turn), and
//! a slow subscriber stalls its writer's share. Not a server to run: a floor to measure.

use std::collections::HashMap;
use std::net::SocketAddr;

use anyhow::Context;
use computestream_eventlog::{tails, KafkaSettings, LogConsumer};
use computestream_graphql::live::{classify, Live};
use computestream_schemas::Envelope;
use futures::stream::SplitSink;
use futures::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use computestream::config::AppConfig;

#[derive(Debug, clap::Args)]
pub struct FanoutFloorArgs {
    /// Where the subscribers connect.
    #[arg(long)]
    listen: SocketAddr,
    /// The topic's full name (with its prefix).
    #[arg(long)]
    topic: String,
    #[arg(long)]
    partitions: i32,
}

type Sink = SplitSink<WebSocketStream<TcpStream>, Message>;

/// A subscriber whose handshake is done: its job, its operation id and its socket.
struct Subscriber {
    job: u64,
    id: String,
    sink: Sink,
}

/// A writer's input: a new subscriber, or an update of a job (`at_ms` of its event).
enum ToWriter {
    Join(Subscriber),
    Update { job: u64, at_ms: u64 },
}

/// Reads the next text message of a socket during the handshake.
async fn next_text(
    rx: &mut futures::stream::SplitStream<WebSocketStream<TcpStream>>,
) -> anyhow::Result<serde_json::Value> {
    while let Some(m) = rx.next().await {
        if let Message::Text(t) = m? {
            return Ok(serde_json::from_str(&t)?);
        }
    }
    anyhow::bail!("the subscriber left during the handshake")
}

/// The `graphql-transport-ws` handshake of one connection; then the socket's write half goes
/// to its writer and its read half is drained until the subscriber leaves.
async fn handshake(tcp: TcpStream, writers: Vec<mpsc::Sender<ToWriter>>) -> anyhow::Result<()> {
    let ws = tokio_tungstenite::accept_hdr_async(tcp, subprotocol).await?;
    let (mut sink, mut rx) = ws.split();
    let init = next_text(&mut rx).await?;
    anyhow::ensure!(
        init["type"] == "connection_init",
        "expected connection_init"
    );
    sink.send(Message::text(r#"{"type":"connection_ack"}"#))
        .await?;
    let sub = next_text(&mut rx).await?;
    anyhow::ensure!(sub["type"] == "subscribe", "expected subscribe");
    let id = sub["id"]
        .as_str()
        .context("subscribe without id")?
        .to_owned();
    let job: u64 = sub["payload"]["variables"]["j"]
        .as_str()
        .context("subscribe without variables.j")?
        .parse()?;
    let shard = usize::try_from(job)? % writers.len();
    writers[shard]
        .send(ToWriter::Join(Subscriber { job, id, sink }))
        .await?;
    while let Some(Ok(_)) = rx.next().await {}
    Ok(())
}

/// Answers the handshake with the `graphql-transport-ws` subprotocol (the signature is
/// tungstenite's `Callback`, whose error is an HTTP response).
#[allow(clippy::result_large_err)]
fn subprotocol(_: &Request, mut r: Response) -> Result<Response, ErrorResponse> {
    r.headers_mut().insert(
        "sec-websocket-protocol",
        tokio_tungstenite::tungstenite::http::HeaderValue::from_static("graphql-transport-ws"),
    );
    Ok(r)
}

/// One writer: the sockets of its jobs' subscribers, written in turn for every update.
async fn writer(mut rx: mpsc::Receiver<ToWriter>) {
    let mut jobs: HashMap<u64, Vec<(String, Sink)>> = HashMap::new();
    while let Some(m) = rx.recv().await {
        match m {
            ToWriter::Join(s) => jobs.entry(s.job).or_default().push((s.id, s.sink)),
            ToWriter::Update { job, at_ms } => {
                let Some(subs) = jobs.get_mut(&job) else {
                    continue;
                };
                let mut gone = Vec::new();
                for (i, (id, sink)) in subs.iter_mut().enumerate() {
                    let text = format!(
                        r#"{{"id":"{id}","type":"next","payload":{{"data":{{"paymentStream":{{"accrued":"0","atMs":"{at_ms}"}}}}}}}}"#
                    );
                    if sink.send(Message::text(text)).await.is_err() {
                        gone.push(i);
                    }
                }
                for i in gone.into_iter().rev() {
                    drop(subs.swap_remove(i));
                }
            }
        }
    }
}

/// A consumer of `topic` from its current ends, with the gateway's live-feed fetch wait (what
/// the gateway's feed does; the bench's plain consumer is the same, for a like-for-like
/// comparison).
pub async fn at_live_end(
    cfg: &AppConfig,
    kafka: &KafkaSettings,
    topic: &str,
    partitions: i32,
    group: &str,
) -> anyhow::Result<LogConsumer> {
    let mut kafka = kafka.clone();
    kafka.fetch_wait_max_ms = cfg.gateway.feed_fetch_wait_ms;
    let consumer = LogConsumer::new(&kafka, group)?;
    let ends = tails::watermarks(&kafka, topic, partitions).await?;
    consumer.assign(
        topic,
        &ends
            .iter()
            .enumerate()
            .map(|(p, (_, h))| (p as i32, *h))
            .collect::<Vec<_>>(),
    )?;
    Ok(consumer)
}

/// Runs the floor server until killed.
pub async fn run(cfg: &AppConfig, a: FanoutFloorArgs) -> anyhow::Result<()> {
    let consumer = at_live_end(
        cfg,
        &cfg.kafka,
        &a.topic,
        a.partitions,
        "bench-fanout-floor",
    )
    .await?;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..cores).map(|_| mpsc::channel(65_536)).unzip();
    for rx in rxs {
        tokio::spawn(writer(rx));
    }
    // Listening only once the consumer is at the ends: the bench connects when it can.
    let listener = TcpListener::bind(a.listen).await?;
    let accept_txs = txs.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let w = accept_txs.clone();
            tokio::spawn(async move {
                let _ = handshake(tcp, w).await;
            });
        }
    });
    loop {
        let rec = consumer.next().await?;
        let Ok(env) = Envelope::from_json(&rec.payload) else {
            continue;
        };
        let u = classify(env);
        let job = match u.live {
            Live::Tick { stream, .. } | Live::Settled { stream, .. } => stream,
            _ => continue,
        };
        let shard = usize::try_from(job)? % txs.len();
        txs[shard]
            .send(ToWriter::Update {
                job,
                at_ms: u.at_ms,
            })
            .await?;
    }
}
