//! `computestream verify JOB`: a job's evidence checked by anyone (docs/DISPUTES.md). Reads
//! the job's chain events, metering records and vouchers from the log, gathers them into a
//! self-contained bundle ([`computestream_schemas::evidence::gather`]), checks it
//! ([`computestream_domain::evidence::verify`]: signatures, hash links, gaps and duplicates,
//! the on-chain commitment, the paid amount against the newest valid voucher within the
//! metered seconds and the escrow), prints the verdict with the exact failing second or
//! voucher, and can write the bundle (`--out`). `--bundle FILE` re-checks a bundle offline,
//! without the log. Exit status: 0 when the evidence holds, 1 when it does not.

use std::path::PathBuf;

use anyhow::Context;
use computestream_domain::evidence::{verify, EvidenceBundle, Verdict, BUNDLE_FORMAT};
use computestream_eventlog::job_log;
use computestream_schemas::evidence;

use crate::config::AppConfig;

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The job id (with the log); omit with --bundle.
    #[arg(required_unless_present = "bundle")]
    job: Option<u64>,
    /// Re-check this bundle offline (a file written by --out), without the log.
    #[arg(long, conflicts_with = "job")]
    bundle: Option<PathBuf>,
    /// Write the gathered bundle here (JSON).
    #[arg(long, conflicts_with = "bundle")]
    out: Option<PathBuf>,
}

/// Runs the command; `Ok(true)` when the evidence holds.
pub async fn run(cfg: &AppConfig, args: VerifyArgs) -> anyhow::Result<bool> {
    let bundle = match (&args.bundle, args.job) {
        (Some(path), _) => {
            let text =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            let b: EvidenceBundle = serde_json::from_slice(&text)
                .with_context(|| format!("{} is not an evidence bundle", path.display()))?;
            anyhow::ensure!(
                b.format == BUNDLE_FORMAT,
                "{}: format {:?}, this build reads {BUNDLE_FORMAT:?}",
                path.display(),
                b.format
            );
            b
        }
        (None, Some(job)) => {
            // Only the job's two partitions (every event of a job shares its key).
            let envelopes = job_log::job_envelopes(&cfg.kafka, job)
                .await
                .context("reading the job's partitions of the chain and metering topics")?;
            let b = evidence::gather(
                job,
                cfg.chain_id,
                cfg.package,
                cfg.settler.payment_ahead_secs,
                &envelopes,
            )?;
            if let Some(out) = &args.out {
                let text = serde_json::to_vec_pretty(&b)?;
                std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
                println!("bundle written to {}", out.display());
            }
            b
        }
        (None, None) => anyhow::bail!("name a job, or --bundle FILE"),
    };
    let verdict = verify(&bundle);
    print!("{}", report(&bundle, &verdict));
    Ok(verdict.holds())
}

/// The verdict as people read it.
pub fn report(b: &EvidenceBundle, v: &Verdict) -> String {
    let t = &b.terms;
    let mut s = format!(
        "job {} (provider {}, buyer {}), rate {} octas/s, escrow {} octas\n",
        t.job_id,
        t.provider.to_hex_literal(),
        t.buyer.to_hex_literal(),
        t.rate_per_second,
        t.escrow
    );
    s += &format!(
        "  metering: {} records, {} seconds signed in one chain, head {}\n",
        b.records.len(),
        v.signed_seconds,
        v.head
    );
    match &v.committed {
        Some(c) => {
            s += &format!(
                "  on chain: {} seconds committed, head {}\n",
                c.metered_seconds, c.metering_head
            )
        }
        None => s += "  on chain: nothing committed\n",
    }
    s += &format!(
        "  vouchers: {} (newest valid: {}), paid on chain: {} octas{}\n",
        b.vouchers.len(),
        v.newest_voucher
            .map(|o| format!("{o} octas"))
            .unwrap_or_else(|| "none".into()),
        v.paid,
        if t.closed {
            " (stream closed)"
        } else {
            " (stream open)"
        }
    );
    if v.holds() {
        s += "verdict: the evidence holds\n";
    } else {
        s += &format!("verdict: {} finding(s)\n", v.findings.len());
        for f in &v.findings {
            s += &format!("  - {f}\n");
        }
    }
    s
}
