//! The per-job output quota (`executor.sandbox.output_max_mb`, `output_max_files`): what a
//! job may leave under `/out`. A job's directory is walked entry by entry and the walk stops
//! as soon as a limit is passed, so checking costs at most `output_max_files` entries
//! however many a job created. Each regular file counts its larger size: the bytes it
//! claims (a sparse file of 256 MiB claims 256 MiB, though it holds 4 KiB on disk: stored,
//! it would be 256 MiB) or the blocks it holds on disk. Every entry (directories, links,
//! special files) counts towards the file limit.
//!
//! Checked every second while a job runs (the supervisor stops a job past its quota) and
//! before its outputs are read to be stored (nothing past the quota is ever read).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A job's limits on `/out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputQuota {
    pub max_bytes: u64,
    pub max_files: u64,
}

/// Regular files under a job's `/out`: relative paths sorted, with their sizes (bytes
/// claimed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutputFiles {
    pub files: Vec<(PathBuf, u64)>,
    /// Bytes counted against the quota.
    pub bytes: u64,
    /// Entries counted against the quota.
    pub entries: u64,
}

/// Why outputs are refused: the exact limit passed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuotaExceeded {
    #[error("the outputs hold more than {limit} bytes (the job's quota)")]
    Bytes { limit: u64 },
    #[error("the outputs hold more than {limit} files and directories (the job's quota)")]
    Files { limit: u64 },
}

/// Walks `dir` (which may not exist: no outputs) within `quota`.
///
/// Errors: the outer `Err` is an I/O error reading the directory; the inner one the limit
/// passed.
pub fn scan(dir: &Path, quota: OutputQuota) -> std::io::Result<Result<OutputFiles, QuotaExceeded>> {
    let mut out = OutputFiles::default();
    if !dir.exists() {
        return Ok(Ok(out));
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            out.entries = out.entries.saturating_add(1);
            if out.entries > quota.max_files {
                return Ok(Err(QuotaExceeded::Files {
                    limit: quota.max_files,
                }));
            }
            let ty = entry.file_type()?;
            if ty.is_dir() {
                stack.push(entry.path());
            } else if ty.is_file() {
                let meta = entry.metadata()?;
                let size = meta.len().max(meta.blocks().saturating_mul(512));
                out.bytes = out.bytes.saturating_add(size);
                if out.bytes > quota.max_bytes {
                    return Ok(Err(QuotaExceeded::Bytes {
                        limit: quota.max_bytes,
                    }));
                }
                if let Ok(rel) = entry.path().strip_prefix(dir) {
                    out.files.push((rel.to_path_buf(), meta.len()));
                }
            }
            // Symlinks and special files written by a job are counted, never followed or
            // stored.
        }
    }
    out.files.sort();
    Ok(Ok(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("cs-quota-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("dir");
        d
    }

    const QUOTA: OutputQuota = OutputQuota {
        max_bytes: 1 << 20,
        max_files: 10,
    };

    #[test]
    fn a_sparse_file_counts_the_bytes_it_claims() {
        // The example: `dd ... of=/out/big bs=1 count=1 seek=268435455`, 4 KiB on
        // disk, 256 MiB claimed.
        let d = tmp("sparse");
        let f = std::fs::File::create(d.join("big")).expect("create");
        f.set_len(268_435_456).expect("sparse");
        assert_eq!(
            scan(&d, QUOTA).expect("io"),
            Err(QuotaExceeded::Bytes { limit: 1 << 20 })
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn many_entries_stop_the_walk_at_the_limit() {
        let d = tmp("many");
        for i in 0..8 {
            std::fs::create_dir_all(d.join(format!("d{i}"))).expect("dir");
            std::fs::write(d.join(format!("d{i}/f")), b"x").expect("write");
        }
        assert_eq!(
            scan(&d, QUOTA).expect("io"),
            Err(QuotaExceeded::Files { limit: 10 })
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn outputs_within_the_quota_are_listed_sorted() {
        let d = tmp("ok");
        std::fs::create_dir_all(d.join("sub")).expect("dir");
        std::fs::write(d.join("sub/b"), b"bb").expect("write");
        std::fs::write(d.join("a"), b"a").expect("write");
        let got = scan(&d, QUOTA).expect("io").expect("within");
        assert_eq!(
            got.files,
            vec![(PathBuf::from("a"), 1), (PathBuf::from("sub/b"), 2)]
        );
        assert_eq!(got.entries, 3);
        assert!(scan(&d.join("absent"), QUOTA)
            .expect("io")
            .expect("none")
            .files
            .is_empty());
        let _ = std::fs::remove_dir_all(&d);
    }
}
