//! `computestream-bench projector`: events/s from the broker into the read models, against
//! a raw `COPY` of the same rows into the same tables, measured in the same run.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use computestream_projector::{replay, store, ProjectorConfig};
use futures::TryStreamExt;

use computestream::config::AppConfig;

#[derive(Debug, clap::Args)]
pub struct ProjectorBenchArgs {
    /// Jobs in the generated history.
    #[arg(long, default_value_t = 2_000)]
    jobs: u64,
    /// Metered seconds per job (one tick each, a voucher every 10 s, ...).
    #[arg(long, default_value_t = 450)]
    seconds: u64,
}

pub async fn run(cfg: &AppConfig, a: ProjectorBenchArgs) -> anyhow::Result<()> {
    let stamp = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let t = Instant::now();
    let events = computestream_schemas::sample::marketplace(a.jobs, a.seconds, 1_795_000_020_000);
    println!(
        "history: {} events generated and signed in {:.0} s",
        events.len(),
        t.elapsed().as_secs_f64()
    );
    let kafka = cfg
        .kafka
        .clone()
        .with_topic_prefix(format!("bench{stamp}proj."));
    computestream_eventlog::admin::ensure_topics(&kafka, &computestream_schemas::topics::ALL)
        .await?;
    let producer = computestream_eventlog::EnvelopeProducer::new(&kafka, "bench-projector")?;
    for chunk in events.chunks(20_000) {
        for r in futures::future::join_all(chunk.iter().map(|e| producer.send(e))).await {
            r?;
        }
    }
    let n = events.len() as u64;
    // Context for the breakdown: decoding alone (one thread), and the broker's own delivery
    // of the same records to a plain consumer (no decode, no writes).
    let wire: Vec<Vec<u8>> = events.iter().map(|e| e.to_json()).collect();
    drop(events);
    let t = Instant::now();
    let mut bad = 0usize;
    for w in &wire {
        bad += usize::from(computestream_schemas::Envelope::from_json(w).is_err());
    }
    let decode_time = t.elapsed();
    anyhow::ensure!(bad == 0, "{bad} generated records did not decode");
    drop(wire);
    let consume_time = consume_all(&kafka, n).await?;

    let url = cfg.database.url.expose();
    let schema = format!("bench_{stamp}");
    let t = Instant::now();
    let (pool, _) = replay::build(url, &kafka, &schema, &ProjectorConfig::default()).await?;
    let project_time = t.elapsed();

    // Raw limit: COPY the rows the projector wrote into an empty copy of the schema.
    let mut dumps: Vec<(String, String, Vec<u8>)> = Vec::new();
    let mut rows = 0i64;
    for table in replay::TABLES {
        let cols: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = $1 AND table_name = $2 AND is_generated = 'NEVER' ORDER BY ordinal_position",
        )
        .bind(&schema)
        .bind(table)
        .fetch_all(&pool)
        .await?;
        let cols = cols.join(", ");
        let mut conn = pool.acquire().await?;
        let bytes: Vec<u8> = conn
            .copy_out_raw(&format!(
                "COPY (SELECT {cols} FROM {table}) TO STDOUT (FORMAT binary)"
            ))
            .await?
            .try_fold(Vec::new(), |mut acc, b| async move {
                acc.extend_from_slice(&b);
                Ok(acc)
            })
            .await?;
        rows += sqlx::query_scalar::<_, i64>(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&pool)
            .await?;
        dumps.push((table.to_owned(), cols, bytes));
    }
    let copy_schema = format!("bench_{stamp}_copy");
    let target = store::open(url, &copy_schema, 2).await?;
    let mut conn = target.acquire().await?;
    let t = Instant::now();
    for (table, cols, bytes) in &dumps {
        let mut copy = conn
            .copy_in_raw(&format!("COPY {table} ({cols}) FROM STDIN (FORMAT binary)"))
            .await?;
        copy.send(bytes.as_slice()).await?;
        copy.finish()
            .await
            .with_context(|| format!("COPY into {table}"))?;
    }
    let copy_time = t.elapsed();
    drop(conn);

    let ours = n as f64 / project_time.as_secs_f64();
    let raw = n as f64 / copy_time.as_secs_f64();
    println!(
        "projector:  {ours:>9.0} events/s ({n} events -> {rows} rows in {:.1} s)",
        project_time.as_secs_f64()
    );
    println!(
        "raw COPY:   {raw:>9.0} events/s (the same {rows} rows in {:.1} s)",
        copy_time.as_secs_f64()
    );
    println!("ratio: {:.2}", ours / raw);
    println!(
        "context:    decode alone (one thread) {:>9.0} events/s; the broker's delivery to a plain consumer {:>9.0} records/s",
        n as f64 / decode_time.as_secs_f64(),
        n as f64 / consume_time.as_secs_f64()
    );
    for s in [&schema, &copy_schema] {
        sqlx::query(&format!("DROP SCHEMA {s} CASCADE"))
            .execute(&pool)
            .await?;
    }
    Ok(())
}

/// How long a plain consumer takes to read `n` records of the projector's input topics from
/// offset 0 (no decoding, no writes).
async fn consume_all(
    kafka: &computestream_eventlog::KafkaSettings,
    n: u64,
) -> anyhow::Result<std::time::Duration> {
    let consumer = computestream_eventlog::LogConsumer::new(kafka, "bench-projector-raw")?;
    let mut starts = Vec::new();
    for spec in computestream_projector::INPUTS {
        for p in 0..spec.partitions {
            starts.push((kafka.topic(spec.name), p, 0));
        }
    }
    consumer.assign_many(&starts)?;
    let t = Instant::now();
    for _ in 0..n {
        consumer.next().await?;
    }
    Ok(t.elapsed())
}
