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
    let digest = Sha256::digest(bytes);
    let mut cid = vec![0x01, 0x55, 0x12, 0x20];
    cid.extend_from_slice(&digest);
    format!("b{}", base32_lower(&cid))
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
    fn base32_matches_rfc4648() {
        assert_eq!(base32_lower(b"f"), "my");
        assert_eq!(base32_lower(b"foobar"), "mzxw6ytboi");
    }
}
