//! The devnet's persistence: one JSON line per block, `{"t": micros, "txns": [hex BCS]}`.
//! Execution is deterministic, so replaying the lines rebuilds the same ledger (versions,
//! hashes, events) and state. A torn last line (a crash mid-write) is ignored.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::DevnetError;

#[derive(Debug, Serialize, Deserialize)]
pub struct BlockRecord {
    pub t: u64,
    pub txns: Vec<String>,
}

#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
}

impl Journal {
    /// Opens (creating) the journal and returns the blocks already in it.
    pub fn open(path: &Path) -> Result<(Journal, Vec<BlockRecord>), DevnetError> {
        let io = |e: std::io::Error| DevnetError::Journal(format!("{}: {e}", path.display()));
        let mut blocks = Vec::new();
        let mut valid_len = 0u64;
        if path.exists() {
            let reader = BufReader::new(File::open(path).map_err(io)?);
            for line in reader.split(b'\n') {
                let line = line.map_err(io)?;
                match serde_json::from_slice::<BlockRecord>(&line) {
                    Ok(b) => {
                        valid_len += line.len() as u64 + 1;
                        blocks.push(b);
                    }
                    // A torn final write: everything before it is intact.
                    Err(_) => break,
                }
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        file.set_len(valid_len).map_err(io)?;
        Ok((
            Journal {
                path: path.to_owned(),
                file,
            },
            blocks,
        ))
    }

    pub fn append(&mut self, t: u64, txns: &[Vec<u8>]) -> Result<(), DevnetError> {
        let rec = BlockRecord {
            t,
            txns: txns.iter().map(hex::encode).collect(),
        };
        let mut line = serde_json::to_vec(&rec).map_err(|e| DevnetError::Journal(e.to_string()))?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|_| self.file.flush())
            .map_err(|e| DevnetError::Journal(format!("{}: {e}", self.path.display())))
    }
}
