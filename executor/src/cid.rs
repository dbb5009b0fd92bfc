//! IPFS CIDv1 of raw bytes: codec `raw` (0x55), multihash sha2-256 (0x12, 32 bytes),
//! multibase base32 lower-case without padding (prefix `b`).

use sha2::{Digest, Sha256};

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

fn base32_lower(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The CIDv1 (raw, sha2-256) of `bytes`, e.g. `bafkrei...`.
pub fn cid_v1_raw(bytes: &[u8]) -> String {
    cid_v1_of_digest(&Sha256::digest(bytes).into())
}

/// The CIDv1 (raw, sha2-256) whose SHA-256 is `digest` (of bytes hashed as they streamed).
pub fn cid_v1_of_digest(digest: &[u8; 32]) -> String {
    let mut cid = vec![0x01, 0x55, 0x12, 0x20];
    cid.extend_from_slice(digest);
    format!("b{}", base32_lower(&cid))
}

/// A writer that hashes and counts what passes through it to `inner`.
#[derive(Debug)]
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: std::io::Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// The CIDv1 of everything written, its size in bytes, and the inner writer.
    pub fn finish(self) -> (String, u64, W) {
        let digest: [u8; 32] = self.hasher.finalize().into();
        (cid_v1_of_digest(&digest), self.bytes, self.inner)
    }
}

impl<W: std::io::Write> std::io::Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        let written = buf.get(..n).unwrap_or(buf);
        self.hasher.update(written);
        self.bytes = self.bytes.saturating_add(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_cids() {
        // The CID every IPFS implementation gives the empty input and "hello world\n" as raw
        // blocks.
        assert_eq!(
            cid_v1_raw(b""),
            "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
        );
        assert_eq!(
            cid_v1_raw(b"hello world\n"),
            "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
        );
    }

    #[test]
    fn streamed_bytes_get_the_same_cid() {
        use std::io::Write;
        let mut w = HashingWriter::new(std::io::sink());
        w.write_all(b"hello ").expect("write");
        w.write_all(b"world\n").expect("write");
        let (cid, bytes, _) = w.finish();
        assert_eq!(cid, cid_v1_raw(b"hello world\n"));
        assert_eq!(bytes, 12);
    }

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32_lower(b"f"), "my");
        assert_eq!(base32_lower(b"foobar"), "mzxw6ytboi");
    }
}
