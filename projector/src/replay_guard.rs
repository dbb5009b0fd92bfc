//! Replay never serves less than it replaces: before a rebuilt read model is swapped in, it
//! must have reached the live one's progress — every input partition's stored offset, the
//! highest chain version applied, and the row counts of what the log cannot have lost (chain
//! facts: providers, jobs, escrows, streams, on-chain settlements). A log that lost records
//! (a broker restarted without durable storage, a retention cut, a mistyped topic prefix)
//! fails this, and the replay is refused with what is missing.
//!
//! [`shortfall`] decides (pure); [`Progress::of`] reads a schema.

use std::collections::BTreeMap;

use sqlx::PgConnection;

use crate::{StoreError, CONSUMER};

/// The tables whose rows come from chain events only: a rebuild from a complete log has at
/// least as many of each as the live models.
pub const CHAIN_TABLES: [&str; 5] = [
    "providers",
    "jobs",
    "escrows",
    "payment_streams",
    "stream_settlements",
];

/// How far a read model has got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// `(topic, partition)` → the next offset to apply.
    pub offsets: BTreeMap<(String, i32), i64>,
    /// The highest chain version applied (0 when none).
    pub chain_version: i64,
    /// Row counts of [`CHAIN_TABLES`].
    pub rows: BTreeMap<String, i64>,
}

impl Progress {
    /// Reads the progress of the schema on `conn`'s `search_path` (one connection: a
    /// single-connection server such as PGlite serves it too).
    ///
    /// Errors: [`StoreError::Db`] when the schema cannot be read.
    pub async fn of(conn: &mut PgConnection) -> Result<Progress, StoreError> {
        let offsets: Vec<(String, i32, i64)> = sqlx::query_as(
            "SELECT topic, partition, next_offset FROM consumer_offsets WHERE consumer = $1",
        )
        .bind(CONSUMER)
        .fetch_all(&mut *conn)
        .await?;
        let chain_version: i64 = sqlx::query_scalar(
            "SELECT GREATEST(
                (SELECT COALESCE(max(last_version), 0) FROM providers),
                (SELECT COALESCE(max(last_version), 0) FROM jobs),
                (SELECT COALESCE(max(version), 0) FROM stream_settlements))",
        )
        .fetch_one(&mut *conn)
        .await?;
        let mut rows = BTreeMap::new();
        for table in CHAIN_TABLES {
            let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                .fetch_one(&mut *conn)
                .await?;
            rows.insert(table.to_owned(), n);
        }
        Ok(Progress {
            offsets: offsets.into_iter().map(|(t, p, o)| ((t, p), o)).collect(),
            chain_version,
            rows,
        })
    }
}

/// What `rebuilt` lacks compared with `live`, one line each; empty when it may replace it.
pub fn shortfall(live: &Progress, rebuilt: &Progress) -> Vec<String> {
    let mut out = Vec::new();
    for ((topic, partition), &live_next) in &live.offsets {
        let got = rebuilt
            .offsets
            .get(&(topic.clone(), *partition))
            .copied()
            .unwrap_or(0);
        if got < live_next {
            out.push(format!(
                "{topic}[{partition}]: the live models applied up to offset {live_next}, the log gave {got}"
            ));
        }
    }
    if rebuilt.chain_version < live.chain_version {
        out.push(format!(
            "chain version: the live models reached {}, the rebuild {}",
            live.chain_version, rebuilt.chain_version
        ));
    }
    for (table, &n) in &live.rows {
        let got = rebuilt.rows.get(table).copied().unwrap_or(0);
        if got < n {
            out.push(format!("{table}: {n} rows live, {got} rebuilt"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(offsets: &[(&str, i32, i64)], version: i64, jobs: i64) -> Progress {
        Progress {
            offsets: offsets
                .iter()
                .map(|(t, p, o)| (((*t).to_owned(), *p), *o))
                .collect(),
            chain_version: version,
            rows: [("jobs".to_owned(), jobs), ("providers".to_owned(), 2)].into(),
        }
    }

    #[test]
    fn a_rebuild_that_reached_the_live_progress_may_replace_it() {
        let live = progress(&[("chain", 0, 10), ("metering", 1, 99)], 40, 4);
        let rebuilt = progress(&[("chain", 0, 12), ("metering", 1, 99)], 41, 5);
        assert!(shortfall(&live, &rebuilt).is_empty());
        assert!(shortfall(&Progress::default(), &Progress::default()).is_empty());
    }

    #[test]
    fn an_empty_log_is_refused_with_everything_it_lacks() {
        let live = progress(&[("chain", 0, 10), ("metering", 1, 99)], 40, 4);
        let empty = Progress::default();
        let s = shortfall(&live, &empty);
        assert_eq!(s.len(), 5, "{s:?}");
        assert!(
            s[0].contains("chain[0]") && s[0].contains("offset 10"),
            "{s:?}"
        );
        assert!(s
            .iter()
            .any(|l| l.contains("chain version") && l.contains("40")));
        assert!(s.iter().any(|l| l == "jobs: 4 rows live, 0 rebuilt"));
    }

    #[test]
    fn a_short_log_or_another_prefix_is_refused() {
        let live = progress(&[("demo.chain", 0, 10)], 40, 4);
        // Cut short: one partition behind.
        let short = progress(&[("demo.chain", 0, 7)], 40, 4);
        assert_eq!(shortfall(&live, &short).len(), 1);
        // Another prefix: the live topics are not in the rebuild at all.
        let other = progress(&[("demox.chain", 0, 10)], 40, 4);
        assert!(shortfall(&live, &other)[0].contains("demo.chain[0]"));
        // Fewer chain rows though offsets match (records deleted by retention).
        let cut = progress(&[("demo.chain", 0, 10)], 40, 3);
        assert_eq!(shortfall(&live, &cut), vec!["jobs: 4 rows live, 3 rebuilt"]);
    }
}
