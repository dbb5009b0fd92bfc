//! The committed ledger, kept as a node keeps it: on disk. Each transaction's node JSON is
//! written once to an append-only file and only its place in the file stays in memory (a
//! few bytes per version), so the devnet's memory does not grow with its history. The soak
//! run (docs/BENCHMARKS.md) found the ledger held as `serde_json` trees growing the demo by
//! several MiB a minute at 100 paying streams: a settlement batch's events alone are about
//! 70 KB of JSON, several times that as trees.
//!
//! The file is anonymous: created under the system's temporary directory (`TMPDIR`) and
//! unlinked at once, it lives as long as the node (the journal, not this file, is what a
//! restarted devnet replays). A write that fails (a full disk) keeps that transaction's
//! JSON in memory instead: nothing committed is lost, and reads do not care where it is.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, Ordering};

use computestream_nodeapi::Transaction;
use serde_json::Value;

use crate::DevnetError;

/// Where one version's JSON is.
enum Slot {
    /// `len` bytes at `offset` of the ledger file.
    Disk { offset: u64, len: u32 },
    /// Kept in memory: the file could not take it.
    Memory(Box<str>),
}

/// The committed transactions by version, in the node's JSON.
pub struct Ledger {
    file: Option<File>,
    /// The ledger file's length: where the next transaction goes.
    end: u64,
    slots: Vec<Slot>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("versions", &self.slots.len())
            .field("file_bytes", &self.end)
            .field("on_disk", &self.file.is_some())
            .finish()
    }
}

impl Ledger {
    /// An empty ledger on an anonymous file under the system's temporary directory; in
    /// memory when no file can be made there (logged once).
    pub fn new() -> Self {
        match anonymous_file() {
            Ok(file) => Ledger::on(file),
            Err(e) => {
                tracing::warn!(error = %e, "the devnet's ledger cannot have a file; it is kept in memory");
                Ledger {
                    file: None,
                    end: 0,
                    slots: Vec::new(),
                }
            }
        }
    }

    /// An empty ledger written to `file` (opened for reading and writing).
    pub fn on(file: File) -> Self {
        Ledger {
            file: Some(file),
            end: 0,
            slots: Vec::new(),
        }
    }

    /// Versions held (the next version to commit).
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Appends the next version.
    pub fn push(&mut self, t: &Transaction) {
        let json = t.to_value().to_string();
        let slot = match self.write(json.as_bytes()) {
            Ok(slot) => slot,
            Err(e) => {
                tracing::error!(version = self.slots.len(), error = %e, "the devnet's ledger file refused a transaction; it is kept in memory");
                Slot::Memory(json.into_boxed_str())
            }
        };
        self.slots.push(slot);
    }

    fn write(&mut self, bytes: &[u8]) -> std::io::Result<Slot> {
        let Some(file) = &self.file else {
            return Err(std::io::Error::other("no ledger file"));
        };
        let len = u32::try_from(bytes.len()).map_err(std::io::Error::other)?;
        file.write_all_at(bytes, self.end)?;
        let slot = Slot::Disk {
            offset: self.end,
            len,
        };
        self.end += u64::from(len);
        Ok(slot)
    }

    /// Version `version`'s JSON; `None` above the latest version.
    ///
    /// Errors: [`DevnetError::Ledger`] when the file cannot be read back (an I/O error).
    pub fn value(&self, version: u64) -> Result<Option<Value>, DevnetError> {
        let Some(slot) = usize::try_from(version)
            .ok()
            .and_then(|v| self.slots.get(v))
        else {
            return Ok(None);
        };
        let parsed = match slot {
            Slot::Memory(json) => serde_json::from_str(json),
            Slot::Disk { offset, len } => {
                let file = self.file.as_ref().ok_or_else(|| {
                    DevnetError::Ledger(format!("version {version} is on a file the ledger lost"))
                })?;
                let mut buf = vec![0u8; *len as usize];
                file.read_exact_at(&mut buf, *offset)
                    .map_err(|e| DevnetError::Ledger(format!("reading version {version}: {e}")))?;
                serde_json::from_slice(&buf)
            }
        };
        parsed
            .map(Some)
            .map_err(|e| DevnetError::Ledger(format!("version {version} does not parse: {e}")))
    }

    /// Version `version` as a [`Transaction`]; `None` above the latest version.
    ///
    /// Errors: as [`Ledger::value`].
    pub fn transaction(&self, version: u64) -> Result<Option<Transaction>, DevnetError> {
        match self.value(version)? {
            None => Ok(None),
            Some(v) => Transaction::from_value(v)
                .map(Some)
                .map_err(|e| DevnetError::Ledger(format!("version {version}: {e}"))),
        }
    }

    /// The JSON of versions `start..start+limit` that exist.
    ///
    /// Errors: as [`Ledger::value`].
    pub fn values(&self, start: u64, limit: usize) -> Result<Vec<Value>, DevnetError> {
        let end = start
            .saturating_add(limit as u64)
            .min(self.slots.len() as u64);
        (start..end)
            .filter_map(|v| self.value(v).transpose())
            .collect()
    }

    /// Bytes of memory the ledger holds for its versions (its index, and what is kept in
    /// memory because the file refused it); the transactions on disk do not count.
    pub fn memory_bytes(&self) -> usize {
        let kept: usize = self
            .slots
            .iter()
            .map(|s| match s {
                Slot::Memory(json) => json.len(),
                Slot::Disk { .. } => 0,
            })
            .sum();
        self.slots.capacity() * std::mem::size_of::<Slot>() + kept
    }
}

impl Default for Ledger {
    fn default() -> Self {
        Ledger::new()
    }
}

/// A file under the temporary directory, unlinked as soon as it is open.
fn anonymous_file() -> std::io::Result<File> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let path = std::env::temp_dir().join(format!(
        "computestream-devnet-ledger-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(file)
}

#[cfg(test)]
mod tests;
